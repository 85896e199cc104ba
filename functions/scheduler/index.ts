/** Scheduler Lambda: EventBridge Scheduler `{"schedule": "<name>"}` -> the schedule's jobs on the job queues (shared/schedules). */
import { createSchedulerLambda } from '../../shared/schedules/lambda-scheduler.js';

export const handler = createSchedulerLambda();
