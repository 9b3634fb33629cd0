"""Resource-city transition scenario simulator."""

__version__ = "0.1.0"
