/**
 * The {@link Trainer} for Together AI: its REST API through undici (lib/api/together/http.ts), the
 * upload through a signed URL (upload.ts), the fine-tunes (jobs.ts). Together announces no
 * shutdown dates for its base models.
 */
import type { TogetherConfig } from '../provider.js';
import type { Trainer } from '../trainer.js';
import { togetherHttp, type HttpTuning } from './http.js';
import { createTogetherJobs } from './jobs.js';
import { uploadToTogether, type UploadTuning } from './upload.js';

/** `tuning`: for tests (the wait between retries, the multipart threshold and part size). */
export type TogetherTuning = HttpTuning & UploadTuning;

export function createTogetherTrainer(config: TogetherConfig, tuning: TogetherTuning = {}): Trainer {
  const call = togetherHttp(config, tuning);
  return {
    provider: 'together',
    upload: (request) => uploadToTogether(call, config.baseURL, request, tuning),
    ...createTogetherJobs(call),
    shutdownDate: async () => null,
  };
}
