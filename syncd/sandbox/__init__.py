"""Sandbox: a local, faithful implementation of Blocket's Pro Import API (v3 and v4).

The sandbox serves the API that ``syncd`` talks to, so that integration tests
and dealers can run the real client without touching production. Build it
with :func:`syncd.sandbox.app.create_app`; mint tokens for it with
:func:`syncd.sandbox.auth.mint_token`; serve it with ``syncd sandbox``.

Importing this package has no side effects.
"""
