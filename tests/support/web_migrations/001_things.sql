CREATE TABLE things (id uuid PRIMARY KEY, name text NOT NULL);
