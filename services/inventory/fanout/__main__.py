"""`python -m services.inventory.fanout`: the board's fan-out process, as its web process starts it (issue 25)."""

from services.inventory.fanout.process import main

main()
