// An instance (one tag) detail view.
import { graphql } from 'relay-runtime';

export const InstanceDetailQuery = graphql`
  query InstanceDetailQuery($ref: String!) {
    instance(ref: $ref) {
      ...InstanceDetail_instance
    }
  }
`;

export const InstanceDetailFragment = graphql`
  fragment InstanceDetail_instance on ProcessingInstance {
    id
    name
    digest
    fullSize
    lastUpdated
    isPeerless
    origin {
      ref
      license
      verified
    }
    access {
      container {
        image
        command
        args
        env {
          name
          value
        }
        volumes
      }
    }
    platforms {
      architecture
      os
      variant
      size
    }
    resource {
      id
      name
    }
  }
`;
