"""Figures, tables and values, one module per topic: results to what pages embed."""
