import { test } from 'vitest';
import { startRecipeEnv, runRecipe } from './run-recipe.js';
test('smoke', async () => {
  const env = await startRecipeEnv();
  try {
    const r = await runRecipe(env, process.env.RECIPE!);
    console.log([...r.objects.keys()], r.failures, r.alerts.length, env.slack.requests.map((q) => q.body.slice(0, 400)));
    await r.cleanup();
  } finally { await env.close(); }
}, 120_000);
