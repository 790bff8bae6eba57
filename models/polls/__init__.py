"""Resident polls (居民意见征询, #15): a question with 2–10 options for the residents of a
place at any level, one person one vote or one household one vote, named or anonymous, one
option or several, an optional closing day, no quorum unless a minimum turnout is set.

Beside the votes tables, from the shared parts: who must answer is a participation `Duty`
(Unit.PERSON or Unit.HOUSEHOLD: progress, who has not, reminders, the lists as files come with
it); the result is the votes' own tally of one matter of kind `poll`, over the roll frozen at
closing, and the poll's recount files are the votes' format, so `linli votes recount`
recounts it; an anonymous poll keeps its answers as secret ballots are kept.

By part: `tables`, `core` (the words, loading, who runs a poll, who must answer), `drafting`
(writing and publishing), `answering` (where a resident stands, the answer), `closing` (the
end, the count, publishing the result), `following` (progress, reminders, lists, a
resident's polls) and `export` (the rows the count and the recount files are made of).
"""

from models.polls import tables  # noqa: F401  (registers the tables)
from models.polls.closing import close_due
from models.polls.core import CLOSE_DUE, REMIND_DUE
from models.polls.following import remind_due
from models.schedule import Effect

# due-item kind → effect (the feature declares them; the tick runs them)
EFFECTS: dict[str, Effect] = {CLOSE_DUE: close_due, REMIND_DUE: remind_due}
