"""newsbot's Telegram bot: questions in, cited answers out (``newsbot serve``).

    app.py        build_application(settings, index=None, engine=None) and run()
    handlers.py   one small async handler per command / kind of update, plus the error handler
    render.py     Answer -> Telegram HTML messages (escaped, split under 4096 characters)
    access.py     allow-list, admins, per-user rate limit
    state.py      per-chat conversations, persisted in the data dir
    feedback.py   answers and 👍/👎 votes, persisted in the data dir, exported by ``newsbot feedback``
    texts.py      every sentence the bot says
    cli.py        the ``serve`` and ``feedback`` commands

Nothing here is imported by ``retrieval``; importing this package loads nothing heavy.
"""
