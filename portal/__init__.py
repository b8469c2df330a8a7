"""Shared, Pelican-free core of the Cổng TTCP portal: Vietnamese text, sources, findings."""
