CREATE TABLE `summaries` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`document_id` text NOT NULL,
	`template_id` text,
	`length` text NOT NULL,
	`focus` text,
	`variables` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`summary_text` text,
	`citations` text NOT NULL,
	`pages_used` text NOT NULL,
	`passes` integer DEFAULT 0 NOT NULL,
	`model` text,
	`tokens_used` integer DEFAULT 0 NOT NULL,
	`job_id` text,
	`error_code` text,
	`error_message` text,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`completed_at` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`document_id`) REFERENCES `kb_documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `summaries_org_created` ON `summaries` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `summaries_document` ON `summaries` (`document_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `summary_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`prompt_template` text NOT NULL,
	`variables` text NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `summary_templates_org_created` ON `summary_templates` (`org_id`,`created_at`);