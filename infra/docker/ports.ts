import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { LOOPBACK } from "../../core/naming.js";

/** A container port published on 127.0.0.1 only; host port 0 lets Docker pick a free one. */
export function loopbackPort(internal: number, hostPort: number): docker.types.input.ContainerPort {
  return { internal, ...(hostPort === 0 ? {} : { external: hostPort }), ip: LOOPBACK };
}

/** The host port Docker published for the container's first port (its own pick when asked for 0). */
export function publishedPort(container: docker.Container, containerName: string): pulumi.Output<number> {
  return container.ports.apply((ports) => {
    const external = ports?.[0]?.external;
    if (external === undefined) throw new Error(`${containerName} has no published port`);
    return external;
  });
}
