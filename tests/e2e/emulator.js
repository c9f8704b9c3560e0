// Telegram Bot API emulator for newsbot's end-to-end tests.
//
// telegram-test-api 4.2.1 plus what python-telegram-bot 22 and newsbot need:
//   * getMe with is_bot; message dates in seconds; chat type from the chat id; chat_instance on callbacks
//   * sendMessage / editMessageText / editMessageReplyMarkup return a Message and, like Telegram, reject
//     invalid HTML (unknown or unbalanced tags, bad entities), empty text and texts over 4096 characters
//   * stubs: sendChatAction, answerCallbackQuery, setMyCommands, deleteMyCommands, setChatMenuButton
//   * documents: the client uploads bytes (POST /uploadFile), the bot gets them via getFile + /file/bot...
//   * webhooks send X-Telegram-Bot-Api-Secret-Token and a failing webhook never kills the process
//   * live replies: sendMessageDraft (private chats only), setMessageReaction (Telegram's reaction emoji
//     only), answerInlineQuery (results and button checked like Telegram); each is recorded, and so is
//     every editMessageText, so a test sees a streamed answer's drafts and edits
//   * inline queries: POST /sendInlineQuery {botToken, from, query, chat_type} delivers one to the bot and
//     answers its id; the bot's answer is among /botCalls
//   * the client's POST /sendMessage answers the new message's id (to find reactions on it)
//   * test hooks: POST /botCalls (calls the bot made that leave no message), POST /inject (make the next
//     N calls of a method fail with a status, e.g. 429 flood control or 502)
//
// Run: TG_NM=/path/to/node_modules TG_PORT=9000 node emulator.js   (prints READY when listening)

const path = require('path');

const NM = path.resolve(process.env.TG_NM || `${__dirname}/node_modules`);
const TelegramServer = require(`${NM}/telegram-test-api`);
const { routes } = require(`${NM}/telegram-test-api/lib/routes/index`);
const { handle } = require(`${NM}/telegram-test-api/lib/routes/bot/utils`);
const axios = require(`${NM}/axios`);

const BOT = { id: 666, is_bot: true, first_name: 'TestBot', username: 'TestNameBot', supports_inline_queries: true };
const MAX_TEXT_UNITS = 4096;
const ALLOWED_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler',
  'a', 'code', 'pre', 'blockquote', 'tg-emoji']);

const seconds = () => Math.floor(Date.now() / 1000);
const ok = (res, result) => res.json({ ok: true, result });
const fail = (res, code, description, extra = {}) => res.status(code).json({ ok: false, error_code: code,
  description, ...extra });
const parseJson = (value) => (typeof value === 'string' ? JSON.parse(value) : value);
const chatOf = (chatId) => ({ id: Number(chatId), type: Number(chatId) < 0 ? 'group' : 'private',
  first_name: 'Chat' });

// Bot API ReactionTypeEmoji: the emoji a bot may react with.
const REACTION_EMOJI = new Set(('👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤️‍🔥 🌚 🌭 💯 '
  + '🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 '
  + '😘 💊 🙊 😎 👾 🤷‍♂️ 🤷 🤷‍♀️ 😡').split(' '));
const START_PARAMETER = /^[A-Za-z0-9_-]{1,64}$/;

const files = new Map();      // file_id -> Buffer posted by the client
const botCalls = [];          // {token, method, body, time} for calls that leave no message
const injected = [];          // {method, status, count, retry_after}
let inlineQueryIds = 1;

// Telegram's HTML parse mode, strictly enough to catch what a real server would refuse.
function parseHtml(html) {
  const stack = [];
  let text = '';
  const token = /<\/?([a-zA-Z][\w-]*)([^>]*)>|&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot);|[<>&]|[^<>&]+/g;
  let m;
  while ((m = token.exec(html)) !== null) {
    const [whole, tag, , entity] = m;
    if (tag !== undefined) {
      const name = tag.toLowerCase();
      if (!ALLOWED_TAGS.has(name)) return { error: `Unsupported start tag "${name}"` };
      if (whole.startsWith('</')) {
        if (stack.pop() !== name) return { error: `Unmatched end tag "${name}"` };
      } else {
        stack.push(name);
      }
    } else if (entity !== undefined) {
      text += '_';
    } else if (whole === '<' || whole === '>' || whole === '&') {
      return { error: `Unexpected "${whole}" at byte offset ${m.index}` };
    } else {
      text += whole;
    }
  }
  if (stack.length) return { error: `Can't find end tag corresponding to start tag "${stack.pop()}"` };
  return { text };
}

// Answers 400 like Telegram when the text cannot be sent; returns true when it did.
function rejectText(res, body) {
  const raw = body.text === undefined ? '' : String(body.text);
  let plain = raw;
  if (String(body.parse_mode || '').toUpperCase() === 'HTML') {
    const parsed = parseHtml(raw);
    if (parsed.error) return fail(res, 400, `Bad Request: can't parse entities: ${parsed.error}`), true;
    plain = parsed.text;
  }
  if (!plain.trim()) return fail(res, 400, 'Bad Request: message text is empty'), true;
  if (plain.length > MAX_TEXT_UNITS) return fail(res, 400, 'Bad Request: message is too long'), true;
  const markup = parseJson(body.reply_markup);
  for (const row of (markup && markup.inline_keyboard) || []) {
    for (const button of row) {
      if (button.callback_data !== undefined && Buffer.byteLength(button.callback_data) > 64) {
        return fail(res, 400, 'Bad Request: BUTTON_DATA_INVALID'), true;
      }
    }
  }
  return false;
}

// Answers an injected failure for this method, if one is pending; returns true when it did.
function injectedFailure(res, method) {
  const i = injected.findIndex((x) => x.method === method && x.count > 0);
  if (i < 0) return false;
  const rule = injected[i];
  rule.count -= 1;
  if (rule.status === 429) {
    fail(res, 429, `Too Many Requests: retry after ${rule.retry_after}`,
      { parameters: { retry_after: rule.retry_after } });
  } else {
    res.status(rule.status).json({ ok: false, error_code: rule.status, description: 'Injected failure' });
  }
  return true;
}

function messageResult(server, body, token) {
  const stored = server.storage.botMessages.find((u) => String(u.messageId) === String(body.message_id)
    && String(u.message.chat_id) === String(body.chat_id) && u.botToken === token);
  const message = stored ? stored.message : body;
  return { message_id: Number(body.message_id), date: seconds(), from: BOT, chat: chatOf(body.chat_id),
    text: message.text, reply_markup: parseJson(message.reply_markup) };
}

// The checks Telegram makes on answerInlineQuery; the reason for refusing, or null.
function inlineAnswerProblem(body) {
  const results = parseJson(body.results) || [];
  const button = parseJson(body.button);
  if (results.length > 50) return 'RESULTS_TOO_MUCH';
  const ids = new Set();
  for (const result of results) {
    const id = String(result.id || '');
    if (!id || Buffer.byteLength(id) > 64 || ids.has(id)) return 'RESULT_ID_INVALID';
    ids.add(id);
    if (result.type !== 'article' || !result.title || !result.input_message_content) return 'RESULT_INVALID';
    const content = result.input_message_content;
    const refused = { status: () => refused, json: (x) => { refused.error = x.description; } };
    if (rejectText(refused, { text: content.message_text, parse_mode: content.parse_mode })) {
      return refused.error.replace(/^Bad Request: /, '');
    }
  }
  if (button && (!button.text || button.text.length > 64 || !START_PARAMETER.test(button.start_parameter || ''))) {
    return 'BUTTON_INVALID';
  }
  return null;
}

const recordCall = (method) => (req, res) => {
  botCalls.push({ token: req.params.token, method, body: req.body, time: Date.now() });
  ok(res, true);
};

const patches = [
  (app) => handle(app, '/bot:token/:method', (req, res, next) => {
    if (!injectedFailure(res, req.params.method)) next();
  }),
  (app) => handle(app, '/bot:token/getMe', (req, res) => ok(res, BOT)),
  ...['sendChatAction', 'answerCallbackQuery', 'setMyCommands', 'deleteMyCommands', 'setChatMenuButton']
    .map((method) => (app) => handle(app, `/bot:token/${method}`, recordCall(method))),
  (app, server) => handle(app, '/bot:token/sendMessage', (req, res) => {
    if (rejectText(res, req.body)) return;
    const message = server.addBotMessage(req.body, req.params.token);
    ok(res, { message_id: message.message_id, date: seconds(), from: BOT, chat: chatOf(req.body.chat_id),
      text: message.text, reply_markup: parseJson(message.reply_markup) });
  }),
  (app, server) => handle(app, '/bot:token/editMessageText', (req, res) => {
    if (rejectText(res, req.body)) return;
    botCalls.push({ token: req.params.token, method: 'editMessageText', body: req.body, time: Date.now() });
    server.editMessageText(req.body);
    ok(res, messageResult(server, req.body, req.params.token));
  }),
  (app, server) => handle(app, '/bot:token/editMessageReplyMarkup', (req, res) => {
    const body = { ...req.body, reply_markup: parseJson(req.body.reply_markup) || { inline_keyboard: [] } };
    server.editMessageReplyMarkup(body);
    botCalls.push({ token: req.params.token, method: 'editMessageReplyMarkup', body, time: Date.now() });
    ok(res, messageResult(server, body, req.params.token));
  }),
  (app) => handle(app, '/bot:token/sendMessageDraft', (req, res) => {
    if (!(Number(req.body.chat_id) > 0)) return fail(res, 400, 'Bad Request: drafts are for private chats only');
    if (!Number(req.body.draft_id)) return fail(res, 400, 'Bad Request: draft_id must be non-zero');
    if (req.body.text && rejectText(res, req.body)) return;
    recordCall('sendMessageDraft')(req, res);
  }),
  (app) => handle(app, '/bot:token/setMessageReaction', (req, res) => {
    const reaction = parseJson(req.body.reaction) || [];
    if (reaction.some((r) => r.type !== 'emoji' || !REACTION_EMOJI.has(r.emoji))) {
      return fail(res, 400, 'Bad Request: REACTION_INVALID');
    }
    req.body.reaction = reaction;
    recordCall('setMessageReaction')(req, res);
  }),
  (app) => handle(app, '/bot:token/answerInlineQuery', (req, res) => {
    const problem = inlineAnswerProblem(req.body);
    if (problem) return fail(res, 400, `Bad Request: ${problem}`);
    const body = { ...req.body, results: parseJson(req.body.results) || [], button: parseJson(req.body.button) };
    botCalls.push({ token: req.params.token, method: 'answerInlineQuery', body, time: Date.now() });
    ok(res, true);
  }),
  (app, server) => app.post('/sendMessage', (req, res) => {
    const messageId = server.messageId;  // taken synchronously by addUserMessage
    server.addUserMessage(req.body);
    ok(res, { message_id: messageId });
  }),
  (app, server) => app.post('/sendInlineQuery', (req, res) => {
    const id = String(inlineQueryIds++);
    server.addUserUpdate({ ...server.getCommonFields(req.body.botToken), inlineQuery: { id, from: req.body.from,
      query: String(req.body.query || ''), offset: '', chat_type: req.body.chat_type || 'sender' } });
    ok(res, id);
  }),
  (app) => handle(app, '/bot:token/getFile', (req, res) => {
    const bytes = files.get(String(req.body.file_id));
    if (!bytes) return fail(res, 400, 'Bad Request: invalid file_id');
    ok(res, { file_id: req.body.file_id, file_unique_id: `u${req.body.file_id}`, file_size: bytes.length,
      file_path: `documents/${req.body.file_id}` });
  }),
  (app) => app.get('/file/bot:token/documents/:fileId', (req, res) => {
    const bytes = files.get(req.params.fileId);
    if (!bytes) return res.status(404).end();
    res.type('application/octet-stream').send(bytes);
  }),
  (app) => app.post('/uploadFile', (req, res) => {
    files.set(String(req.body.file_id), Buffer.from(req.body.content_base64, 'base64'));
    ok(res, true);
  }),
  (app) => app.post('/botCalls', (req, res) => ok(res, botCalls.filter((c) => c.token === req.body.token))),
  (app) => app.post('/inject', (req, res) => {
    injected.push({ method: req.body.method, status: Number(req.body.status), count: Number(req.body.count || 1),
      retry_after: Number(req.body.retry_after || 1) });
    ok(res, true);
  }),
];
routes.unshift(...patches);

const formatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = (update) => {
  if (update.inlineQuery) return { update_id: update.updateId, inline_query: update.inlineQuery };
  const formatted = formatUpdate(update);
  if (formatted.callback_query) formatted.callback_query.chat_instance = '1';
  return formatted;
};

// Webhook delivery with the secret token header; a failing webhook is logged, never fatal.
TelegramServer.prototype.addUserUpdate = async function addUserUpdate(update) {
  const webhook = this.webhooks[update.botToken];
  if (webhook) {
    const headers = webhook.secret_token ? { 'X-Telegram-Bot-Api-Secret-Token': webhook.secret_token } : {};
    try {
      await axios({ url: webhook.url, method: 'POST', data: TelegramServer.formatUpdate(update), headers });
    } catch (error) {
      console.error(`webhook delivery failed: ${error.message}`);
    }
  } else {
    this.storage.userMessages.push(update);
  }
  this.updateId += 1;
};
process.on('unhandledRejection', (error) => console.error(`unhandled: ${error && error.message}`));

const server = new TelegramServer({ port: Number(process.env.TG_PORT || 9000), host: '127.0.0.1',
  storeTimeout: 3600 });
server.start().then(() => console.log(`READY ${server.config.apiURL}`));
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
