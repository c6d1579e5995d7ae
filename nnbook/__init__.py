"""nnbook: an interactive explainer of neural networks built from real Keras experiments."""

__version__ = "0.1.0"
