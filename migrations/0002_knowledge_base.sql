CREATE TABLE `kb_chunks` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`document_id` text NOT NULL,
	`chunk_index` integer NOT NULL,
	`text` text NOT NULL,
	`heading` text,
	`page_number` integer,
	`start_offset` integer NOT NULL,
	`end_offset` integer NOT NULL,
	`token_count` integer NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`document_id`) REFERENCES `kb_documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `kb_chunks_doc` ON `kb_chunks` (`document_id`,`chunk_index`);--> statement-breakpoint
CREATE INDEX `kb_chunks_org` ON `kb_chunks` (`org_id`);--> statement-breakpoint
CREATE TABLE `kb_documents` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`title` text NOT NULL,
	`source_type` text NOT NULL,
	`filename` text,
	`detected_type` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`file_key` text NOT NULL,
	`status` text DEFAULT 'uploading' NOT NULL,
	`error_code` text,
	`error_message` text,
	`tags` text NOT NULL,
	`category` text,
	`page_count` integer,
	`chunk_count` integer DEFAULT 0 NOT NULL,
	`char_count` integer DEFAULT 0 NOT NULL,
	`embedding_model` text,
	`chunking` text,
	`job_id` text,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`indexed_at` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `kb_documents_org_sha` ON `kb_documents` (`org_id`,`sha256`);--> statement-breakpoint
CREATE INDEX `kb_documents_org_created` ON `kb_documents` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `kb_queries` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text,
	`query` text NOT NULL,
	`top_k` integer NOT NULL,
	`filters` text NOT NULL,
	`answer` text NOT NULL,
	`citations` text NOT NULL,
	`usage` text NOT NULL,
	`model_used` text,
	`retrieval_ms` integer NOT NULL,
	`generation_ms` integer NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `kb_queries_org_created` ON `kb_queries` (`org_id`,`created_at`);