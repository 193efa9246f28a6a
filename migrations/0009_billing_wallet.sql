CREATE TABLE `token_ledger` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`seq` integer NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`balance_after` integer NOT NULL,
	`feature` text,
	`reference` text,
	`note` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `token_ledger_org_seq` ON `token_ledger` (`org_id`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `token_ledger_org_kind_reference` ON `token_ledger` (`org_id`,`kind`,`reference`);--> statement-breakpoint
CREATE TABLE `usage_events` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text,
	`feature` text NOT NULL,
	`model` text,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`total_tokens` integer NOT NULL,
	`charged_tokens` integer NOT NULL,
	`estimated` integer DEFAULT false NOT NULL,
	`latency_ms` integer,
	`job_id` text,
	`resource_id` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `usage_events_org_created` ON `usage_events` (`org_id`,`created_at`);