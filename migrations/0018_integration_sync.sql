CREATE TABLE `integration_pages` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`integration_id` text NOT NULL,
	`external_id` text NOT NULL,
	`title` text NOT NULL,
	`url` text,
	`last_edited_at` text,
	`content_sha256` text,
	`kb_document_id` text,
	`status` text NOT NULL,
	`error_code` text,
	`error_message` text,
	`synced_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integration_pages_item` ON `integration_pages` (`integration_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `integration_pages_org_document` ON `integration_pages` (`org_id`,`kb_document_id`);--> statement-breakpoint
CREATE TABLE `integration_sources` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`integration_id` text NOT NULL,
	`kind` text NOT NULL,
	`external_id` text NOT NULL,
	`title` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integration_sources_item` ON `integration_sources` (`integration_id`,`kind`,`external_id`);--> statement-breakpoint
CREATE TABLE `integration_syncs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`integration_id` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`job_id` text NOT NULL,
	`counts` text NOT NULL,
	`errors` text NOT NULL,
	`error_code` text,
	`error_message` text,
	`created_by` text,
	`created_at` text NOT NULL,
	`started_at` text,
	`ended_at` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `integration_syncs_integration_created` ON `integration_syncs` (`integration_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `integration_syncs_live` ON `integration_syncs` (`integration_id`) WHERE status IN ('queued', 'running');--> statement-breakpoint
ALTER TABLE `integrations` ADD `last_synced_at` text;--> statement-breakpoint
ALTER TABLE `integrations` ADD `last_sync_status` text;