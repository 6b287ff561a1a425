"""For operators and developers: the estate command, estate up, embedded infrastructure, receiver, demo."""
