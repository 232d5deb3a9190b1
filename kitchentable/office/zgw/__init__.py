"""Delivery of received signed plans into a municipality's case system through the ZGW APIs
(Zaken, Documenten, Catalogi; Open Zaak implements them).

config: the delivery's settings file and its secret; client: HTTP and JWT, one request at a
time, every answer classified; ledger: what was created where, in the office store; source:
the signed plans to deliver, opened as the export opens them; steps: one plan's zaak,
documents, rollen and status, each URL stored before the next step; run: a round over all
plans with retries and quarantine; command: `kitchentable-office deliver`. The server's
application (`office.app`, what `serve` runs) never imports this package.
"""
