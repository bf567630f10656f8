"""What the tests share, one module per job (``tests/helpers.py`` re-exports all of it for the test modules).

- ``clients``: a browser-like client, signing in, the second step, pressing workflow buttons.
- ``forms``: what a person types into the desk's forms.
- ``pages``: what a person reads on a page (text, errors next to fields, input values, counts).
- ``mail``: a real SMTP catcher and the outbox, composed as the worker sends it.
- ``factories``: people, submissions and published stories made through the real services.
- ``db``: emptying the tables and fingerprinting them.
- ``ports``: a free loopback port.
"""
