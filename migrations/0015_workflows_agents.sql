CREATE TABLE `agent_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`request` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`route` text,
	`routed_by` text,
	`current_step` text,
	`completed_steps` text NOT NULL,
	`errors` text NOT NULL,
	`retry_count` integer DEFAULT 0 NOT NULL,
	`result` text,
	`error_code` text,
	`error_message` text,
	`cache_bypass` integer DEFAULT false NOT NULL,
	`tokens_used` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`finished_at` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `agent_runs_org_created` ON `agent_runs` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `ai_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`execution_id` text,
	`step_id` text,
	`agent_run_id` text,
	`purpose` text NOT NULL,
	`model` text,
	`provider` text,
	`prompt_hash` text NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cache_status` text,
	`latency_ms` integer,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ai_requests_execution` ON `ai_requests` (`execution_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ai_requests_agent_run` ON `ai_requests` (`agent_run_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `execution_steps` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`execution_id` text NOT NULL,
	`step_id` text NOT NULL,
	`position` integer NOT NULL,
	`type` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`input` text,
	`output` text,
	`error_code` text,
	`error_message` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`tokens_used` integer DEFAULT 0 NOT NULL,
	`started_at` text,
	`finished_at` text,
	`duration_ms` integer,
	FOREIGN KEY (`execution_id`) REFERENCES `workflow_executions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `execution_steps_execution_step` ON `execution_steps` (`execution_id`,`step_id`);--> statement-breakpoint
CREATE TABLE `workflow_executions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workflow_id` text NOT NULL,
	`version` integer NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`trigger` text NOT NULL,
	`input` text NOT NULL,
	`output` text,
	`error_code` text,
	`error_message` text,
	`failed_step` text,
	`instance_id` text NOT NULL,
	`runs` integer DEFAULT 1 NOT NULL,
	`cache_bypass` integer DEFAULT false NOT NULL,
	`tokens_used` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`started_at` text,
	`finished_at` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `workflow_executions_org_created` ON `workflow_executions` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `workflow_executions_workflow_created` ON `workflow_executions` (`workflow_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `workflow_executions_status_updated` ON `workflow_executions` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `workflow_schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workflow_id` text NOT NULL,
	`trigger_index` integer NOT NULL,
	`cron` text NOT NULL,
	`input` text,
	`next_run_at` text NOT NULL,
	`last_run_at` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `workflow_schedules_next_run` ON `workflow_schedules` (`next_run_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `workflow_schedules_workflow_trigger` ON `workflow_schedules` (`workflow_id`,`trigger_index`);--> statement-breakpoint
CREATE TABLE `workflow_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workflow_id` text NOT NULL,
	`version` integer NOT NULL,
	`definition` text NOT NULL,
	`variables` text NOT NULL,
	`triggers` text NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workflow_versions_workflow_version` ON `workflow_versions` (`workflow_id`,`version`);--> statement-breakpoint
CREATE TABLE `workflows` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`current_version` integer NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`webhook_secret_hash` text,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `workflows_org_created` ON `workflows` (`org_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `usage_events` ADD `cache_status` text;