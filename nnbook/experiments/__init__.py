"""Experiments, one module per topic: Keras code that returns plain results."""
