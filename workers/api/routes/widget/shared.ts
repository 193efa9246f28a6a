import type { BotRecord } from '@flowspark/chat';
import type { AppContext } from '../../lib/context';

/**
 * A widget response may be read by the page that embeds the bot, and only by it: the group's
 * `Access-Control-Allow-Origin: *` is narrowed to the caller's origin when it is allowed, and dropped
 * otherwise, so another site's script cannot read the bot's answers.
 */
export const corsForBot = (c: AppContext, bot: BotRecord | null) => {
  const origin = c.req.header('origin');
  c.header('Vary', 'Origin');
  if (bot && origin && bot.configuration.allowed_origins.includes(origin)) {
    c.header('Access-Control-Allow-Origin', origin);
  } else {
    c.header('Access-Control-Allow-Origin', undefined);
  }
};
