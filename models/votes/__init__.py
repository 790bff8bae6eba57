"""Votes (投票): owners' decisions under Civil Code art. 278, committee elections and resident
polls, over a roll frozen when the vote opens.

By part: `tally` (the exact count of every matter: the double quorum, the majorities, the
elected candidates; pure Python, no database), `recount` (the three CSV files anyone can
recount from, their JSON and the printed table). The bot's own result is computed by the same
`tally`, so the bot and a recount can never disagree.
"""
