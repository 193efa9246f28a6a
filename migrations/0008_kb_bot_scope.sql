DROP INDEX `kb_documents_org_sha`;--> statement-breakpoint
DROP INDEX `kb_documents_org_created`;--> statement-breakpoint
ALTER TABLE `kb_documents` ADD `bot_id` text REFERENCES bots(id) ON DELETE cascade;--> statement-breakpoint
CREATE UNIQUE INDEX `kb_documents_scope_sha` ON `kb_documents` (`org_id`,coalesce(bot_id, ''),`sha256`);--> statement-breakpoint
CREATE INDEX `kb_documents_scope_created` ON `kb_documents` (`org_id`,`bot_id`,`created_at`);
