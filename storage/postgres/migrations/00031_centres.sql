-- +goose Up
-- Volunteer centres and their service areas. A centre serves districts,
-- each a polygon of [lon, lat] rings (GeoJSON order; outer ring first, then
-- holes). A ticket is routed to the centre whose district contains its
-- place (dispatch.RouteArea); tickets, volunteers and dispatcher accounts
-- carry their centre. NULL centre: not routed / sees every centre.
CREATE TABLE centres (
    id         bigserial PRIMARY KEY,
    key        text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9-]{1,64}$'),
    name_kk    text NOT NULL,
    name_ru    text NOT NULL,
    name_en    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE centre_districts (
    id        bigserial PRIMARY KEY,
    centre_id bigint NOT NULL REFERENCES centres (id) ON DELETE CASCADE,
    -- the district's name in Russian, as reports and the sign-up list use it
    name      text NOT NULL,
    polygon   jsonb NOT NULL CHECK (jsonb_typeof(polygon) = 'array'),
    UNIQUE (centre_id, name)
);

ALTER TABLE users ADD COLUMN centre_id bigint REFERENCES centres (id) ON DELETE SET NULL;
ALTER TABLE volunteers ADD COLUMN centre_id bigint REFERENCES centres (id) ON DELETE SET NULL;
ALTER TABLE tickets ADD COLUMN centre_id bigint REFERENCES centres (id) ON DELETE SET NULL;
ALTER TABLE tickets ADD COLUMN district text NOT NULL DEFAULT '';
CREATE INDEX tickets_centre_idx ON tickets (centre_id, created_at);

-- Rough rectangles: good enough to route by, to be redrawn by the centres.
INSERT INTO centres (key, name_kk, name_ru, name_en) VALUES ('astana-saryarka', 'Сарыарқа аудандық ерікті орталығы', 'Волонтёрский центр района Сарыарка', 'Saryarka district volunteer centre');
INSERT INTO centre_districts (centre_id, name, polygon)
    SELECT id, 'Сарыарка', '[[[71.3, 51.16], [71.44, 51.16], [71.44, 51.25], [71.3, 51.25], [71.3, 51.16]]]' FROM centres WHERE key = 'astana-saryarka';
INSERT INTO centres (key, name_kk, name_ru, name_en) VALUES ('astana-baikonur', 'Байқоңыр аудандық ерікті орталығы', 'Волонтёрский центр района Байконур', 'Baikonur district volunteer centre');
INSERT INTO centre_districts (centre_id, name, polygon)
    SELECT id, 'Байконур', '[[[71.44, 51.16], [71.5, 51.16], [71.5, 51.25], [71.44, 51.25], [71.44, 51.16]]]' FROM centres WHERE key = 'astana-baikonur';
INSERT INTO centres (key, name_kk, name_ru, name_en) VALUES ('astana-almaty', 'Алматы аудандық ерікті орталығы', 'Волонтёрский центр района Алматы', 'Almaty district volunteer centre');
INSERT INTO centre_districts (centre_id, name, polygon)
    SELECT id, 'Алматы', '[[[71.5, 51.12], [71.65, 51.12], [71.65, 51.25], [71.5, 51.25], [71.5, 51.12]]]' FROM centres WHERE key = 'astana-almaty';
INSERT INTO centres (key, name_kk, name_ru, name_en) VALUES ('astana-esil', 'Есіл аудандық ерікті орталығы', 'Волонтёрский центр района Есиль', 'Yesil district volunteer centre');
INSERT INTO centre_districts (centre_id, name, polygon)
    SELECT id, 'Есиль', '[[[71.3, 51.09], [71.5, 51.09], [71.5, 51.16], [71.3, 51.16], [71.3, 51.09]]]' FROM centres WHERE key = 'astana-esil';
INSERT INTO centres (key, name_kk, name_ru, name_en) VALUES ('astana-nura', 'Нұра аудандық ерікті орталығы', 'Волонтёрский центр района Нура', 'Nura district volunteer centre');
INSERT INTO centre_districts (centre_id, name, polygon)
    SELECT id, 'Нура', '[[[71.3, 51.03], [71.65, 51.03], [71.65, 51.09], [71.3, 51.09], [71.3, 51.03]]]' FROM centres WHERE key = 'astana-nura';
INSERT INTO centres (key, name_kk, name_ru, name_en) VALUES ('kokshetau', 'Көкшетау қалалық ерікті орталығы', 'Волонтёрский центр Кокшетау', 'Kokshetau volunteer centre');
INSERT INTO centre_districts (centre_id, name, polygon)
    SELECT id, 'Кокшетау', '[[[69.3, 53.24], [69.48, 53.24], [69.48, 53.33], [69.3, 53.33], [69.3, 53.24]]]' FROM centres WHERE key = 'kokshetau';
INSERT INTO centres (key, name_kk, name_ru, name_en) VALUES ('pavlodar', 'Павлодар қалалық ерікті орталығы', 'Волонтёрский центр Павлодара', 'Pavlodar volunteer centre');
INSERT INTO centre_districts (centre_id, name, polygon)
    SELECT id, 'Павлодар', '[[[76.88, 52.22], [77.05, 52.22], [77.05, 52.35], [76.88, 52.35], [76.88, 52.22]]]' FROM centres WHERE key = 'pavlodar';

-- +goose Down
DROP INDEX tickets_centre_idx;
ALTER TABLE tickets DROP COLUMN district;
ALTER TABLE tickets DROP COLUMN centre_id;
ALTER TABLE volunteers DROP COLUMN centre_id;
ALTER TABLE users DROP COLUMN centre_id;
DROP TABLE centre_districts;
DROP TABLE centres;
