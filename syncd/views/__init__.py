"""Use cases: what the CLI and the daemon show — plans, run reports, status, STATUS= lines.

No I/O: the modules here turn values into JSON-ready dicts or lines (the rich tables are
in :mod:`syncd.tables`); the CLI and the daemon print them. By concern:
:mod:`~syncd.views.plans` (a plan's JSON and entry lines), :mod:`~syncd.views.reports`
(a run's report, its row, the STATUS= line), :mod:`~syncd.views.status` (``syncd
status``: counts, runs, failing ads, held-back deletes), :mod:`~syncd.views.feeds`
(``syncd validate`` and ``syncd map``).

Seller contact data is never shown here, except by ``syncd map``, which shows the dealer
their own records, on stdout only, to check a mapping by eye. The messages ``syncd
status`` shows (a run's note, an invalid item's reason, a failing ad's last message, why
deletes are held back), and those of a run's report and a plan's invalid items, may quote
contact data the API or the validation refused: e-mail addresses and phone numbers in
them are masked (:func:`syncd.core.contacts.masked`), as the status page masks them. Ids
(dealer codes, source_ids, records) are shown as they are: they are no contact data, and
a script reads them back (an all-digit id would look like a phone number).
"""
