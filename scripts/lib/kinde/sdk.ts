// The part of Kinde's management SDK (@kinde/management-api-js, pinned) that this project calls, typed
// here because the package's own declarations re-export from extensionless paths that TypeScript's
// nodenext resolution cannot follow (every named export comes out missing). Shapes are copied from the
// SDK's dist/api/sdk.gen.d.ts and types.gen.d.ts at 0.18.0; the runtime is the SDK itself.
import * as sdk from "@kinde/management-api-js";

export interface KindeApiSummary {
  id?: string;
  name?: string;
  audience?: string;
  is_management_api?: boolean;
}

export interface KindeSdk {
  init(config: { kindeDomain: string; clientId: string; clientSecret: string }): void;
  setToken(token: string): void;
  /** The management token the SDK holds (fetched with the client credentials when it has none). */
  getToken(): Promise<string>;
  OpenAPI: { BASE: string };
  ApiError: new (...args: never[]) => Error & { status: number; body: unknown; url: string };
  Apis: {
    getApis(data?: { expand?: "scopes" | null }): Promise<{ code?: string; message?: string; next_token?: string; apis?: KindeApiSummary[] }>;
    getApi(data: { apiId: string }): Promise<{
      api?: KindeApiSummary & { applications?: Array<{ id?: string; name?: string; type?: string; is_active?: boolean | null }> };
    }>;
    addApis(data: { requestBody: { name: string; audience: string } }): Promise<{ message?: string; code?: string; api?: { id?: string } }>;
    updateApiApplications(data: {
      apiId: string;
      requestBody: { applications: Array<{ id: string; operation?: "delete" }> };
    }): Promise<{ message?: string; code?: string; applications_connected?: string[]; applications_disconnected?: string[] }>;
  };
  Applications: {
    getApplication(data: { applicationId: string }): Promise<{ application?: { id?: string; name?: string; type?: string; client_id?: string } }>;
    /** PATCH /api/v1/applications/{application_id}/tokens; Kinde offers no read of these values. */
    updateApplicationTokens(data: {
      applicationId: string;
      requestBody: { access_token_lifetime?: number };
    }): Promise<{ code?: string; message?: string }>;
  };
  Callbacks: {
    getCallbackUrls(data: { appId: string }): Promise<{ redirect_urls?: string[] }>;
    addRedirectCallbackUrls(data: { appId: string; requestBody: { urls: string[] } }): Promise<{ code?: string; message?: string }>;
    getLogoutUrls(data: { appId: string }): Promise<{ logout_urls?: string[]; code?: string; message?: string }>;
    addLogoutRedirectUrls(data: { appId: string; requestBody: { urls: string[] } }): Promise<{ code?: string; message?: string }>;
  };
}

export const kindeSdk = sdk as unknown as KindeSdk;
