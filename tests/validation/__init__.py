"""Markup checks across the site's pages (the Nu HTML Checker)."""
