// A resource page whose fragment refetches itself through node(id:) (Relay's useRefetchableFragment).
import { graphql } from 'relay-runtime';

export const ResourcePageQuery = graphql`
  query ResourcePageQuery($name: String!) {
    resource(name: $name) {
      ...ResourcePage_resource
    }
  }
`;

export const ResourcePageFragment = graphql`
  fragment ResourcePage_resource on ProcessingResource @refetchable(queryName: "ResourcePageRefetchQuery") {
    id
    name
    shortDescription
    description
    isDraft
    pullCount
    starCount
    editedFields
    updatedAt
    instances(first: 5) {
      totalCount
      edges {
        node {
          id
          name
          ...InstanceDetail_instance
        }
      }
    }
  }
`;

export const UpdateResourceMutation = graphql`
  mutation ResourcePageUpdateMutation($input: UpdateResourceInput!) {
    updateResource(input: $input) {
      resource {
        id
        shortDescription
        editedFields
        updatedAt
      }
    }
  }
`;

export const RemoveImageMutation = graphql`
  mutation ResourcePageRemoveMutation($input: RemoveTrackedImagesInput!) {
    removeTrackedImages(input: $input) {
      removedIds @deleteRecord
      removedResourceIds @deleteRecord
      removedInstanceIds @deleteRecord
    }
  }
`;
