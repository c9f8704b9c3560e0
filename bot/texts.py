"""Every sentence the bot says, in one place (Telegram HTML; anything interpolated must be escaped first)."""

from __future__ import annotations

from retrieval.errors import (
    ConfigError,
    IndexUnavailableError,
    IngestError,
    LLMError,
    LLMTimeoutError,
    NewsbotError,
    QueryError,
)

START = (
    "👋 I'm <b>newsbot</b>. I have read {articles} news articles and answer questions about them, "
    "quoting the passages each claim comes from as numbered citations [1].\n\n"
    "Just send me a question. Examples:\n{examples}\n\n"
    "Ask a follow-up and I'll remember what we were talking about; /reset starts afresh. "
    "/help lists the rest."
)
GENERIC_EXAMPLES = ("What happened?", "Who said what about it?", "When was it announced?")
HELP = (
    "<b>How to use newsbot</b>\n"
    "Send a question and I answer from the news articles I know, with numbered citations. Tap the quote "
    "block under an answer to read the exact passages; rate answers with 👍/👎.\n\n"
    "/sources: the articles I know\n"
    "/follow <i>question</i>: tell me when new articles change its answer; /following lists, "
    "/unfollow <i>n</i> stops one\n"
    "/reset: forget this conversation (follow-ups start afresh)\n"
    "/ask <i>question</i>: ask in a group (or mention me, or reply to one of my messages)\n"
    "/ingest <i>text</i>: add an article (admins; admins may also send a .txt, .md or .html file)\n"
    "/help: this message"
)
HELP_INLINE = "\n\nIn any chat, type <code>@{bot} your question</code> to share a cited answer there."
SOURCES_HEADER = "I know <b>{articles}</b> articles ({chunks} passages):"
SOURCES_EMPTY = "I don't know any articles yet. An admin can add some with /ingest or by sending a file."
SOURCES_MORE = "… and {more} more."
SOURCES_LAST = "For your last question, “{question}”, I searched these articles, best first:"
RESET = "Done: I've forgotten our conversation. Your next question starts afresh."
FOLLOW_USAGE = (
    "Send the question to follow after the command, for example: "
    "<code>/follow Who is the president of Finland?</code> I'll tell you when new articles change its answer."
)
FOLLOW_ADDED = "🔔 Following “{question}”. I'll message you when new articles change the answer."
FOLLOW_NOW = "<b>The answer now:</b>"
FOLLOW_NO_ANSWER_YET = "The articles I know don't answer it yet; I'll tell you when they do."
FOLLOW_KNOWN = "You already follow “{question}”. /following lists your followed questions."
FOLLOW_FULL = (
    "You already follow {limit} questions, the most I keep per chat. Stop one with /unfollow <i>n</i> first "
    "(/following lists them)."
)
FOLLOWING = (
    "You follow {count} question(s):\n{lines}\n\n/unfollow <i>n</i> stops one, /unfollow all stops all."
)
FOLLOWING_NONE = "You don't follow any questions. Send /follow <i>question</i> to start."
UNFOLLOW_USAGE = (
    "Say which one: <code>/unfollow 2</code> (numbers as in /following) or <code>/unfollow all</code>."
)
UNFOLLOWED = "Stopped following “{question}”."
UNFOLLOWED_ALL = "Stopped following all {count} question(s)."
UNFOLLOW_MISSING = "There is no followed question number {n}. /following lists them."
FOLLOW_UPDATE = "🔔 <b>Update on your followed question</b> “{question}”:"
FOLLOW_CHANGED = "<b>What changed:</b>"
FOLLOW_NEW_SOURCE = "• new source: {source}"
FOLLOW_NEW_PASSAGE = "• new passage in: {source}"
FOLLOW_FIRST_ANSWER = "• the articles did not answer this before"
FOLLOW_BEFORE = "• before: <i>{before}</i>"
ASK_USAGE = "Send your question after the command, for example: <code>/ask What happened in Finland?</code>"
EMPTY_QUESTION = "Please send me a question in words."
QUESTION_CUT = "<i>(Your message was long: I read its first {chars} characters.)</i>"
SLOW_DOWN = "You're asking faster than I can read 🙂 Please wait {seconds} s and ask again."
NOT_ALLOWED = "Sorry, this bot is private and not available in this chat."
ADMINS_ONLY = (
    "Sorry, only the bot's admins can add articles. You can ask me questions about the ones I know, though."
)
INGEST_USAGE = (
    "Paste the article after the command (first line = title), reply /ingest to a message with the text, "
    "or send me a .txt, .md or .html file."
)
INGEST_TYPES = "I can add .txt, .md and .html files; please send the article in one of those."
INGEST_TOO_BIG = "That file is too large for me (limit {limit_mb} MB)."
INGESTING = "Reading <b>{name}</b>…"
INGEST_ADDED = "Added <b>{title}</b> ({chunks} passages). Ask me about it!"
INGEST_UPDATED = "Updated <b>{title}</b> ({chunks} passages)."
INGEST_UNCHANGED = "I already have <b>{name}</b>, unchanged; nothing to do."
INGEST_SKIPPED = "I couldn't add <b>{name}</b>: {reason}"
UNSUPPORTED = "I can only read text. Please type your question."
FEEDBACK_THANKS = "Thanks for the feedback!"
FEEDBACK_UNKNOWN = "I can't find that answer any more; thanks anyway."
ANSWER_FAILED = "Sorry, something went wrong while answering. Please try again in a moment."
SEEN = "👀"  # the reaction put on a question at once (one of Telegram's reaction emoji)
STREAMING_MORE = " …"  # after an answer that is still being written (plain text)
INLINE_HINT = "Type a question about the news"  # inline-mode buttons: plain text, at most 64 characters
INLINE_NOT_ALLOWED = "This bot is private"
INLINE_SLOW_DOWN = "Too many questions: wait {seconds} s"
INLINE_FAILED = "No answer right now: try again soon"
INLINE_TITLE = "Answer with sources"
INLINE_QUESTION = "❓ <b>{question}</b>"

_ERRORS: tuple[tuple[type[NewsbotError], str], ...] = (
    (LLMTimeoutError, "The language model took too long to answer. Please try again in a moment."),
    (LLMError, "The language model is not available right now. Please try again later."),
    (
        IndexUnavailableError,
        "My article store is not reachable right now. Please try again in a few minutes.",
    ),
    (QueryError, "I couldn't work with that question. Could you rephrase it?"),
    (IngestError, "I couldn't read that article. Is it plain text, Markdown or HTML?"),
    (ConfigError, "I'm not set up correctly right now; please let the bot's admins know."),
)


def friendly_error(error: BaseException | None) -> str:
    """The short sentence a user sees for an error, chosen by its type (never its text)."""
    for kind, sentence in _ERRORS:
        if isinstance(error, kind):
            return sentence
    return ANSWER_FAILED
