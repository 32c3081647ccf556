ALTER TABLE "email_messages" DROP CONSTRAINT "email_messages_batch_id_email_batches_id_fk";
--> statement-breakpoint
ALTER TABLE "email_messages" DROP CONSTRAINT "email_messages_supporter_id_supporters_id_fk";
--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_batch_id_email_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."email_batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_supporter_id_supporters_id_fk" FOREIGN KEY ("supporter_id") REFERENCES "public"."supporters"("id") ON DELETE set null ON UPDATE no action;