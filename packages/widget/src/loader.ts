/**
 * The chat widget: `<script src="https://API/widget.js" data-bot="PUBLIC_KEY" async></script>` adds a
 * launcher and a chat panel in a Shadow DOM (the page's styles cannot reach it, its styles cannot
 * leak), themed from the bot's public configuration. The visitor's conversation survives reloads
 * (its token is kept in localStorage), the socket reconnects by itself and resumes from the last
 * event it saw, and replies stream in as they are generated. No dependencies; text from the server
 * is only ever set as text, never parsed as HTML.
 */
import type { ChatMessageView, ClientFrame, ServerFrame } from '../../chat/src/frames';

/** `GET /widget/{public_key}/config` → `data` (workers/api/routes/widget/schemas.ts). */
interface WidgetConfig {
  bot: {
    name: string;
    welcome_message: string;
    suggested_messages: string[];
    theme: {
      primary_color: string;
      background_color: string;
      text_color: string;
      position: 'bottom-right' | 'bottom-left';
      title: string;
      avatar_url: string | null;
    };
  };
}

const PING = JSON.stringify({ type: 'ping' } satisfies ClientFrame);

/** What the widget keeps in localStorage: the visitor's token (their conversation comes with it). */
interface Stored {
  visitor_token?: string;
}

const STYLE = `
:host{all:initial}
*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.launcher{position:fixed;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;
background:var(--fs-primary);color:var(--fs-bg);box-shadow:0 4px 14px rgba(0,0,0,.25);font-size:24px;z-index:2147483646}
.panel{position:fixed;bottom:88px;width:min(380px,calc(100vw - 24px));height:min(560px,calc(100vh - 110px));
display:flex;flex-direction:column;background:var(--fs-bg);color:var(--fs-text);border-radius:14px;
box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden;z-index:2147483647}
.panel[hidden]{display:none}
.left{left:20px}.right{right:20px}
header{display:flex;align-items:center;gap:10px;padding:12px 14px;background:var(--fs-primary);color:var(--fs-bg);font-weight:600}
header img{width:28px;height:28px;border-radius:50%}
header .title{flex:1}
header button{background:none;border:0;color:inherit;font-size:20px;cursor:pointer}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}
.msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;line-height:1.4;font-size:14px}
.user{align-self:flex-end;background:var(--fs-primary);color:var(--fs-bg)}
.assistant{align-self:flex-start;background:rgba(127,127,127,.14)}
.sources{margin-top:6px;font-size:12px;opacity:.8}
.sources li{margin-left:16px}
.suggestions{display:flex;flex-wrap:wrap;gap:6px;padding:0 12px 8px}
.suggestions button{border:1px solid var(--fs-primary);color:var(--fs-primary);background:none;border-radius:14px;padding:4px 10px;cursor:pointer;font-size:13px}
form{display:flex;gap:6px;padding:10px;border-top:1px solid rgba(127,127,127,.25)}
input{flex:1;padding:9px 10px;border-radius:8px;border:1px solid rgba(127,127,127,.4);background:transparent;color:inherit;font-size:14px}
form button{border:0;border-radius:8px;padding:0 14px;background:var(--fs-primary);color:var(--fs-bg);cursor:pointer}
.status{font-size:12px;padding:0 12px 6px;opacity:.7;min-height:1em}
`;

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
};

const script =
  (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>('script[data-bot][src*="widget"]');

const start = (tag: HTMLScriptElement) => {
  const key = tag.dataset.bot ?? '';
  if (!/^[\w-]{8,100}$/.test(key)) {
    console.warn('FlowSpark widget: data-bot must be the bot’s public key');
    return;
  }
  const base = tag.dataset.api ?? new URL(tag.src, location.href).origin;
  const storageKey = `flowspark-widget:${key}`;
  const load = (): Stored => {
    try {
      return JSON.parse(localStorage.getItem(storageKey) ?? '{}') as Stored;
    } catch {
      return {};
    }
  };
  const save = (patch: Stored) => {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ ...load(), ...patch }));
    } catch {
      // Private windows may refuse storage: the conversation then lasts as long as the page.
    }
  };

  // Built ahead, so the first open shows at once.
  const host = el('div');
  host.id = 'flowspark-widget';
  const shadow = host.attachShadow({ mode: 'open' });
  const style = el('style');
  style.textContent = STYLE;
  const launcher = el('button', 'launcher', '💬');
  launcher.setAttribute('aria-label', 'Open chat');
  const panel = el('section', 'panel');
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  const header = el('header');
  const avatar = el('img');
  const title = el('span', 'title');
  const close = el('button', undefined, '×');
  close.setAttribute('aria-label', 'Close chat');
  header.append(avatar, title, close);
  const log = el('div', 'log');
  log.setAttribute('aria-live', 'polite');
  const suggestions = el('div', 'suggestions');
  const status = el('div', 'status');
  const form = el('form');
  const input = el('input');
  input.placeholder = 'Type a message…';
  input.maxLength = 4000;
  const send = el('button', undefined, 'Send');
  send.type = 'submit';
  form.append(input, send);
  panel.append(header, log, suggestions, status, form);
  shadow.append(style, launcher, panel);

  let socket: WebSocket | null = null;
  let ready = false;
  let retry = 0;
  // 0: everything the session keeps (a reload shows the conversation); then the last event seen.
  let lastEventId = 0;
  let streaming: string | null = null;
  const queued: ClientFrame[] = [];
  const bubbles = new Map<string, HTMLElement>();
  let welcome = '';

  const scroll = () => {
    log.scrollTop = log.scrollHeight;
  };

  const render = (message: ChatMessageView) => {
    let bubble = bubbles.get(message.id);
    if (!bubble) {
      bubble = el('div', `msg ${message.role}`);
      bubble.dataset.id = message.id;
      bubbles.set(message.id, bubble);
      log.append(bubble);
    }
    bubble.textContent = message.content;
    if (message.citations.length > 0) {
      const list = el('ul', 'sources');
      for (const c of message.citations) {
        const item = el('li', undefined, `${c.title || c.snippet}${c.page_number ? `, p. ${c.page_number}` : ''}`);
        item.title = c.snippet;
        list.append(item);
      }
      bubble.append(list);
    }
    scroll();
  };

  const showWelcome = () => {
    if (welcome && bubbles.size === 0 && !log.querySelector('.welcome')) {
      log.append(el('div', 'msg assistant welcome', welcome));
    }
  };

  const setStreaming = (id: string | null) => {
    streaming = id;
    send.textContent = id ? 'Stop' : 'Send';
  };

  const onFrame = (frame: ServerFrame) => {
    if ('event_id' in frame) {
      // Replayed and live events arrive in order; one seen already (a resume) is skipped.
      if (frame.event_id <= lastEventId) return;
      lastEventId = frame.event_id;
    }
    switch (frame.type) {
      case 'ready':
      case 'resumed':
        ready = true;
        retry = 0;
        status.textContent = '';
        showWelcome();
        for (const q of queued.splice(0)) socket?.send(JSON.stringify(q));
        break;
      case 'user_message':
      case 'message':
        render(frame.message);
        if (frame.message.role === 'assistant') setStreaming(null);
        break;
      case 'token': {
        let bubble = bubbles.get(frame.message_id);
        if (!bubble) {
          bubble = el('div', 'msg assistant');
          bubble.dataset.id = frame.message_id;
          bubbles.set(frame.message_id, bubble);
          log.append(bubble);
        }
        bubble.textContent += frame.text;
        setStreaming(frame.message_id);
        scroll();
        break;
      }
      case 'failed':
        bubbles.get(frame.message_id)?.remove();
        bubbles.delete(frame.message_id);
        setStreaming(null);
        status.textContent = frame.message;
        break;
      case 'error':
        status.textContent = frame.message;
        if (frame.code !== 'CONFLICT') setStreaming(null);
        break;
    }
  };

  /** The visitor's token: kept from an earlier visit, or a new session (the same token comes back). */
  const session = async (): Promise<string> => {
    const res = await fetch(`${base}/widget/${encodeURIComponent(key)}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(load().visitor_token ? { visitor_token: load().visitor_token } : {}),
    });
    if (!res.ok) throw new Error(`session ${res.status}`);
    const { data } = (await res.json()) as { data: { visitor_token: string } };
    save({ visitor_token: data.visitor_token });
    return data.visitor_token;
  };

  let connecting = false;
  let token: string | null = null;
  const connect = async () => {
    if (socket || connecting) return;
    connecting = true;
    try {
      token ??= await session();
    } catch {
      connecting = false;
      status.textContent = 'Chat is unavailable.';
      return;
    }
    connecting = false;
    const url = new URL(`/widget/${encodeURIComponent(key)}/ws`, base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('visitor_token', token);
    url.searchParams.set('since', String(lastEventId));
    const ws = new WebSocket(url);
    socket = ws;
    const ping = setInterval(() => ws.readyState === 1 && ws.send(PING), 30_000);
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      try {
        onFrame(JSON.parse(event.data) as ServerFrame);
      } catch {
        // A frame the widget does not understand is skipped.
      }
    };
    ws.onclose = (event) => {
      clearInterval(ping);
      socket = null;
      ready = false;
      // The bot went private, its key was rotated, the site is no longer allowed, or it was deleted.
      if (event.code === 4403 || event.code === 4404 || event.code === 4401) {
        status.textContent = 'Chat is unavailable.';
        return;
      }
      status.textContent = 'Reconnecting…';
      const wait = Math.min(10_000, 500 * 2 ** retry++);
      setTimeout(() => void connect(), wait);
    };
  };

  const deliver = (frame: ClientFrame) => {
    if (ready && socket) socket.send(JSON.stringify(frame));
    else {
      queued.push(frame);
      void connect();
    }
  };

  const ask = (text: string) => {
    const content = text.trim();
    if (!content) return;
    suggestions.textContent = '';
    deliver({ type: 'message', content });
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (streaming) {
      deliver({ type: 'stop' });
      return;
    }
    ask(input.value);
    input.value = '';
  });
  const toggle = (open: boolean) => {
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      void connect();
      input.focus();
    }
  };
  launcher.addEventListener('click', () => toggle(panel.hidden));
  close.addEventListener('click', () => toggle(false));

  fetch(`${base}/widget/${encodeURIComponent(key)}/config`)
    .then((res) => (res.ok ? (res.json() as Promise<{ data: WidgetConfig }>) : Promise.reject(res.status)))
    .then(({ data }) => {
      const { theme } = data.bot;
      host.style.setProperty('--fs-primary', theme.primary_color);
      host.style.setProperty('--fs-bg', theme.background_color);
      host.style.setProperty('--fs-text', theme.text_color);
      const side = theme.position === 'bottom-left' ? 'left' : 'right';
      launcher.classList.add(side);
      panel.classList.add(side);
      title.textContent = theme.title || data.bot.name;
      if (theme.avatar_url) avatar.src = theme.avatar_url;
      else avatar.remove();
      welcome = data.bot.welcome_message ?? '';
      for (const text of data.bot.suggested_messages) {
        const chip = el('button', undefined, text);
        chip.type = 'button';
        chip.addEventListener('click', () => ask(text));
        suggestions.append(chip);
      }
      showWelcome();
      document.body.append(host);
      // A returning visitor's conversation is loaded ahead, so it is there when the panel opens.
      if (load().visitor_token) void connect();
    })
    .catch(() => console.warn('FlowSpark widget: this bot is not available here'));
};

if (script) {
  if (document.body) start(script);
  else document.addEventListener('DOMContentLoaded', () => start(script));
}
