"""The office server (ASGI): enrolment, sealed push/pull, admin page. See the sync issue."""
