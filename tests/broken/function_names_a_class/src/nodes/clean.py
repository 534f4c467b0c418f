class clean:
    """Not a node."""
