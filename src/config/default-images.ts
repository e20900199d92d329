/**
 * The images tracked when `DOCKER_SCRAPER_IMAGES` is not set: the Go scraper's list, in its
 * order, without its duplicate (`neo4j` appeared twice) and with three misspellings fixed
 * (`amazoncorreto` → `amazoncorretto`, `liquidbase` → `liquibase`,
 * `lighstreamer` → `lightstreamer`). `sparl` does not exist upstream and `scratch` has no
 * tags; both stay, and the sync engine records them as `NOT_FOUND` and `NO_TAGS`.
 */
export const DEFAULT_IMAGES: readonly string[] = Object.freeze([
  'ubuntu', 'debian', 'alpine', 'python', 'golang', 'node', 'nginx', 'postgres', 'redis', 'mysql',
  'redmine', 'ruby', 'rabbitmq', 'nextcloud', 'php', 'wordpress', 'fluentd', 'gradle', 'mongo',
  'clickhouse', 'mariadb', 'eclipse-temurin', 'sonarqube', 'neo4j', 'rust', 'oraclelinux', 'openjdk',
  'traefik', 'ghost', 'docker', 'websphere-liberty', 'open-liberty', 'storm', 'swift', 'rocket.chat',
  'odoo', 'busybox', 'nats', 'mageia', 'tomcat', 'perl', 'xwiki', 'cassandra', 'varnish',
  'ibm-semeru-runtimes', 'archlinux', 'clojure', 'maven', 'buildpack-deps', 'solr', 'groovy',
  'phpmyadmin', 'hylang', 'joomla', 'matomo', 'drupal', 'yourls', 'haproxy', 'elixir', 'geonetwork',
  'convertigo', 'erlang', 'azul-zulu', 'kibana', 'percona', 'logstash', 'elasticsearch', 'krakend',
  'postfixadmin', 'monica', 'friendica', 'sapmachine', 'dart', 'spiped', 'amazoncorretto', 'zookeeper',
  'julia', 'gcc', 'ibmjava', 'mediawiki', 'couchbase', 'jetty', 'sparl', 'tomee', 'kapacitor', 'ros',
  'silverpeas', 'jruby', 'neurodebian', 'flink', 'pypy', 'orientdb', 'liquibase', 'haxe', 'r-base',
  'lightstreamer', 'kong', 'aerospike', 'influxdb', 'irssi', 'rakudo-star', 'satosa', 'rethinkdb',
  'chronograf', 'memcached', 'backdrop', 'telegraf', 'httpd', 'haskell', 'emqx', 'swipl', 'couchdb',
  'hitch', 'composer', 'adminer', 'amazonlinux', 'bash', 'caddy', 'arangodb', 'bonita', 'photon',
  'almalinux', 'teamspeak', 'fedora', 'eclipse-mosquitto', 'registry', 'eggdrop', 'znc', 'api-firewall',
  'alt', 'unit', 'clearlinux', 'gazebo', 'mongo-express', 'plone', 'cirros', 'mono', 'nats-streaming',
  'sl', 'rockylinux', 'notary', 'vault', 'jobber', 'consul', 'php-zendserver', 'centos',
  'express-gateway', 'clefos', 'adoptopenjdk', 'thrift', 'rapidoid', 'kaazing-gateway', 'nuxeo',
  'fsharp', 'sourcemage', 'swarm', 'euleros', 'crux', 'sentry', 'known', 'opensuse', 'owncloud',
  'piwik', 'jenkins', 'celery', 'iojs', 'java', 'rails', 'django', 'glassfish', 'hipache',
  'ubuntu-upstart', 'ubuntu-debootstrap', 'docker-dev', 'scratch',
]);
