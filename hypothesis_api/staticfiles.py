"""The site's static files storage in production: whitenoise's (hashed names, a manifest, gzip and Brotli copies),
tolerant of the one flaw of the Hypothesis client's package.

The package's ``styles/katex.min.css`` names KaTeX fonts it does not ship (the ``.woff`` and ``.ttf`` fallbacks of
the ``.woff2`` files it has), and the manifest storage refuses to collect a stylesheet whose ``url()`` names a
missing file. Under ``hypothesis/build/`` only, such a reference is left as it is (browsers take the ``.woff2``
first); anywhere else a missing file still fails ``collectstatic``.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage

CLIENT_PREFIX = "hypothesis/build/"


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if content is None and self.clean_name(name).startswith(CLIENT_PREFIX):
                return name
            raise
