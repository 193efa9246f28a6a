CREATE TABLE `document_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`document_id` text NOT NULL,
	`org_id` text NOT NULL,
	`version` integer NOT NULL,
	`content` text,
	`input_data` text NOT NULL,
	`prompt` text,
	`file_key` text,
	`file_size_bytes` integer DEFAULT 0 NOT NULL,
	`tokens_used` integer DEFAULT 0 NOT NULL,
	`model_used` text,
	`generation_time_ms` integer,
	`job_id` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `document_versions_doc_version` ON `document_versions` (`document_id`,`version`);--> statement-breakpoint
CREATE TABLE `documents` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`format` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`template_id` text,
	`prompt` text,
	`input_data` text NOT NULL,
	`options` text NOT NULL,
	`current_version` integer DEFAULT 0 NOT NULL,
	`file_key` text,
	`file_size_bytes` integer DEFAULT 0 NOT NULL,
	`content_type` text,
	`tokens_used` integer DEFAULT 0 NOT NULL,
	`model_used` text,
	`generation_time_ms` integer,
	`error_code` text,
	`error_message` text,
	`job_id` text,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `documents_org_kind` ON `documents` (`org_id`,`kind`,`created_at`);--> statement-breakpoint
CREATE INDEX `documents_org_status` ON `documents` (`org_id`,`status`);--> statement-breakpoint
CREATE TABLE `images` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`prompt` text NOT NULL,
	`negative_prompt` text,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`file_key` text,
	`file_size_bytes` integer DEFAULT 0 NOT NULL,
	`content_type` text,
	`model_used` text,
	`generation_time_ms` integer,
	`error_code` text,
	`error_message` text,
	`job_id` text,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `images_org` ON `images` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer DEFAULT 5 NOT NULL,
	`resource_type` text,
	`resource_id` text,
	`input` text,
	`result` text,
	`error_code` text,
	`error_message` text,
	`cancel_requested` integer DEFAULT false NOT NULL,
	`created_by` text,
	`lease_until` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`started_at` text,
	`finished_at` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `jobs_org_created` ON `jobs` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_status_lease` ON `jobs` (`status`,`lease_until`);--> statement-breakpoint
CREATE TABLE `templates` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`format` text NOT NULL,
	`kind` text DEFAULT 'model' NOT NULL,
	`variables` text NOT NULL,
	`body` text,
	`prompt_template` text,
	`file_key` text,
	`file_size_bytes` integer,
	`is_public` integer DEFAULT false NOT NULL,
	`usage_count` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `templates_org` ON `templates` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `templates_public` ON `templates` (`is_public`);