import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";

/**
 * A stack's named Docker volume, `<component>-data` in Pulumi and `dockerName` on the daemon. A
 * replaced volume is an empty volume: protected ones (production) stop `pulumi destroy` (protect) and
 * stay on the daemon if the stack lets go of them (retainOnDelete). The policy pack checks both.
 */
export function stackVolume(
  parent: pulumi.ComponentResource,
  componentName: string,
  args: { dockerName: string; labels: Array<{ label: string; value: string }>; protect: boolean },
): docker.Volume {
  return new docker.Volume(
    `${componentName}-data`,
    { name: args.dockerName, labels: args.labels },
    { parent, protect: args.protect, retainOnDelete: args.protect },
  );
}
