-- Chat slice 3: a reply ended by a stop request is stored marked `stopped`; `chat_connections` keeps
-- one row per kind of open socket (`credential` or `visitor`), so a revocation asks only the objects
-- with credentialed sockets and a bot's change reaches its visitors; a widget visitor has one
-- conversation per bot.
CREATE TABLE `__new_chat_connections` (
	`org_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`kind` text DEFAULT 'credential' NOT NULL,
	`opened_at` text NOT NULL,
	PRIMARY KEY(`org_id`, `conversation_id`, `kind`),
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_chat_connections`("org_id", "conversation_id", "kind", "opened_at") SELECT "org_id", "conversation_id", 'credential', "opened_at" FROM `chat_connections`;--> statement-breakpoint
DROP TABLE `chat_connections`;--> statement-breakpoint
ALTER TABLE `__new_chat_connections` RENAME TO `chat_connections`;--> statement-breakpoint
ALTER TABLE `messages` ADD `stopped` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_visitor` ON `conversations` (`org_id`,`bot_id`,`visitor_id`);
