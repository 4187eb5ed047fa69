"""The randomized fault campaign (``make chaos``): a mixed crowd on two API instances and two
workers, a nemesis that kills or pauses one process of the stack at a time, a record of every
request and answer, and a checker that judges the record alone (docs/reliability.md)."""
