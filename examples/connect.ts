// The client every example uses: the API at API_URL (default: `npm run dev` on http://localhost:8787),
// with the API key in FLOWSPARK_API_KEY (`npm run seed` prints one), or else a fresh demo organization
// registered for the run, signed in with tokens that refresh themselves.
import { createClient, type FlowSparkClient, unwrap } from '@flowspark/sdk';

export const connect = async (): Promise<FlowSparkClient> => {
  const baseUrl = process.env.API_URL ?? 'http://localhost:8787';
  const apiKey = process.env.FLOWSPARK_API_KEY;
  if (apiKey) return createClient({ baseUrl, apiKey });
  const suffix = crypto.randomUUID().slice(0, 8);
  const signedIn = await unwrap(
    createClient({ baseUrl }).api.POST('/api/v1/auth/register', {
      body: {
        email: `example-${suffix}@example.com`,
        password: `example-password-${suffix}`,
        name: 'Example',
        organization_name: `Example ${suffix}`,
      },
    }),
  );
  return createClient({
    baseUrl,
    accessToken: signedIn.tokens.access_token,
    refreshToken: signedIn.tokens.refresh_token,
  });
};
