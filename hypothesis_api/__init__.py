"""The Hypothesis client against this site: an h-compatible API subset, the sidebar's app page, the article page's
opt-in (``?client=hypothesis``).

Not named ``hypothesis``: that is the property-based testing library installed for the tests.

- ``tokens``: grant tokens (JWT, RFC 7523) minted into the article page, exchanged for access and refresh tokens;
- ``targets``: the client's selectors read into our paragraph and quote (pure);
- ``presenters``: our annotations as the client's JSON (and their selectors);
- ``selectors``: the search the sidebar lists a page's annotations with (a fixed number of queries);
- ``views``: the API (``api``), the sidebar's pages (``pages``) and the article page variant (``article``).

Every write goes through ``annotations.services``: the same validation, moderation policy, size limits and rate
limits as the site's forms.
"""
