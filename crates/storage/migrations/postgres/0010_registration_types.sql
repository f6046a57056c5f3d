-- 主体类型 as registered (printed on the business licence), e.g.
-- 有限责任公司（自然人投资或控股）; entity_type keeps its class (企业, 个体工商户,
-- 农民专业合作社, 其他) for drawing and filtering. NULL for rows stored before
-- this column: their text is the class name.
ALTER TABLE entities ADD COLUMN registration_type TEXT CHECK (registration_type <> '');
