"""The board for a thousand screens (issue 25): the board stream's fan-out in a process of its own, beside each
inventory web process, so that writing to the screens never runs on the hold path's event loop. `link` (the web
process's end: start it, hand a screen's connection over), `process` (the fan-out process), `screens` (each screen,
and each moment's changes encoded once for all of them), `wire` (the stream's bytes)."""
