-- Rebuild: empty the current-state tables; runs and history (article_versions, study_versions) stay.
DELETE FROM articles;
DELETE FROM abstract_sections;
DELETE FROM authors;
DELETE FROM publication_types;
DELETE FROM mesh_terms;
DELETE FROM keywords;
DELETE FROM chemicals;
DELETE FROM grants;
DELETE FROM article_ids;
DELETE FROM databanks;
DELETE FROM comments_corrections;
DELETE FROM history_dates;
DELETE FROM studies;
DELETE FROM raw_files;
