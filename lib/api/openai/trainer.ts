/**
 * The {@link Trainer} of the OpenAI and Azure OpenAI providers: one SDK client (lib/api/openai-client.ts)
 * shared by the upload (./upload.ts) and the jobs (./jobs.ts).
 */
import { openaiClient } from '../openai-client.js';
import type { AzureConfig, OpenAIConfig } from '../provider.js';
import type { Trainer } from '../trainer.js';
import { createOpenAIJobs, type CreateRetryPolicy } from './jobs.js';
import { uploadOpenAI } from './upload.js';

export interface OpenAITrainerOptions {
  /** How a create whose answer was lost or throttled is tried again (tests shorten the waits). */
  createRetry?: CreateRetryPolicy;
}

export function createOpenAITrainer(config: OpenAIConfig | AzureConfig, options: OpenAITrainerOptions = {}): Trainer {
  const client = openaiClient(config);
  return {
    provider: config.provider,
    upload: (request) => uploadOpenAI(client, config.provider, request),
    ...createOpenAIJobs(client, config.provider, options.createRetry),
  };
}
