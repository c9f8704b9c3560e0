"""newsbot's Telegram bot: questions in, cited answers out (``newsbot serve``).

    app.py        build_application(settings, index=None, engine=None), run(), logging with secrets redacted
    handlers.py   one small async handler per command / kind of message, the access gate, the error handler
    ingest.py     admins adding articles (documents, /ingest)
    messaging.py  replying robustly (HTML, retries, typing action), reading who a message is for
    render.py     Answer -> Telegram HTML messages (escaped, split under 4096 characters)
    access.py     allow-list, admins, per-user rate limit
    state.py      per-chat conversations, persisted in the data dir
    feedback.py   answers and 👍/👎 votes, persisted in the data dir, exported by ``newsbot feedback``
    services.py   the shared objects handlers use (in ``application.bot_data``)
    db.py         the small SQLite helper behind state.py and feedback.py
    texts.py      every sentence the bot says
    cli.py        the ``serve`` and ``feedback`` commands

Nothing here is imported by ``retrieval``; importing this package loads nothing heavy.
"""
