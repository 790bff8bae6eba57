"""Votes (投票): owners' decisions under Civil Code art. 278, committee elections and resident
polls, over a roll frozen when the vote opens.

By part, pure Python with no database: `tally` (the exact count of every matter: the double
quorum, the majorities, the elected candidates), `headcount` (owners as art. 9 of the SPC's
interpretation counts them), `recount` and `report` (the three CSV files anyone can recount
from, their JSON and the printed table). Over the database: `tables`, `roll` (the frozen
roll), `core` (loading, who convenes, the words, the dates), `lifecycle` (draft → announced →
open → closed → counted → confirmed → published, or cancelled), `elections` (a committee
election's candidates and seats in a draft), `ballots` (named ballots, one per owner; what a
ballot chose converts through the pure `selections`), `standing` (where one person stands on
one vote, read in one statement at every ballot press) and `fixed` (a vote's matters and
candidates, which never change once announced, kept per process), `secret` (secret ballots
for elections: the roll's mark, the ballot under its receipt code, the published receipts),
`following`
(progress, quorum status, reminders) and `export` (the rows the tally and the recount files
are made of). The bot's own result is computed by the same `tally` from the same rows
`export` writes, so the bot and a recount can never disagree.
"""

from models.votes import tables  # noqa: F401  (registers the tables)
