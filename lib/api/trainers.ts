/** The {@link Trainer} for a provider: OpenAI and Azure through the openai SDK, Together through undici. */
import type { ProviderConfig } from './provider.js';
import type { Trainer } from './trainer.js';
import { createOpenAITrainer } from './openai/trainer.js';
import { createTogetherTrainer } from './together/trainer.js';

export function createTrainer(config: ProviderConfig): Trainer {
  switch (config.provider) {
    case 'openai':
    case 'azure':
      return createOpenAITrainer(config);
    case 'together':
      return createTogetherTrainer(config);
  }
}
