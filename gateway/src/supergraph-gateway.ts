import { readFileSync } from "node:fs";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { INTERNAL_HEADER, signInternalCredential } from "#kernel";
import type { GatewayContext } from "./gateway-context.js";

/**
 * The federation gateway on the checked-in supergraph (static composition: no polling, no
 * managed federation). Every subgraph request carries the caller's verified identity in a
 * signed header, which is the only identity subgraphs accept.
 */
export function createSupergraphGateway(options: {
  supergraphPath: string;
  subgraphUrls: Record<string, string>;
  internalSecret: string;
}): ApolloGateway {
  const supergraphSdl = readFileSync(options.supergraphPath, "utf8");
  return new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource<GatewayContext>({
        url: options.subgraphUrls[name] ?? url,
        willSendRequest({ request, context }) {
          request.http?.headers.set(
            INTERNAL_HEADER,
            signInternalCredential(options.internalSecret, { identity: context.identity, requestId: context.requestId }),
          );
        },
      }),
  });
}
