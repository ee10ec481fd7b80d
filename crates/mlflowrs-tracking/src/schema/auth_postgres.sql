-- MLflow 3.17.2's schema (alembic head f1a2b3c4d5e6), written by tests/tracking/dump_schema.py.
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)




--
-- Name: alembic_version_auth; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alembic_version_auth (
    version_num character varying(32) NOT NULL
);


--
-- Name: experiment_permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.experiment_permissions (
    id integer NOT NULL,
    experiment_id character varying(255) NOT NULL,
    user_id integer NOT NULL,
    permission character varying(255)
);


--
-- Name: experiment_permissions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.experiment_permissions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: experiment_permissions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.experiment_permissions_id_seq OWNED BY public.experiment_permissions.id;


--
-- Name: gateway_endpoint_permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.gateway_endpoint_permissions (
    id integer NOT NULL,
    endpoint_id character varying(255) NOT NULL,
    user_id integer NOT NULL,
    permission character varying(255)
);


--
-- Name: gateway_endpoint_permissions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.gateway_endpoint_permissions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: gateway_endpoint_permissions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.gateway_endpoint_permissions_id_seq OWNED BY public.gateway_endpoint_permissions.id;


--
-- Name: gateway_model_definition_permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.gateway_model_definition_permissions (
    id integer NOT NULL,
    model_definition_id character varying(255) NOT NULL,
    user_id integer NOT NULL,
    permission character varying(255)
);


--
-- Name: gateway_model_definition_permissions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.gateway_model_definition_permissions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: gateway_model_definition_permissions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.gateway_model_definition_permissions_id_seq OWNED BY public.gateway_model_definition_permissions.id;


--
-- Name: gateway_secret_permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.gateway_secret_permissions (
    id integer NOT NULL,
    secret_id character varying(255) NOT NULL,
    user_id integer NOT NULL,
    permission character varying(255)
);


--
-- Name: gateway_secret_permissions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.gateway_secret_permissions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: gateway_secret_permissions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.gateway_secret_permissions_id_seq OWNED BY public.gateway_secret_permissions.id;


--
-- Name: registered_model_permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.registered_model_permissions (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    user_id integer NOT NULL,
    permission character varying(255),
    workspace character varying(63) DEFAULT 'default'::character varying NOT NULL
);


--
-- Name: registered_model_permissions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.registered_model_permissions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: registered_model_permissions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.registered_model_permissions_id_seq OWNED BY public.registered_model_permissions.id;


--
-- Name: role_permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.role_permissions (
    id integer NOT NULL,
    role_id integer NOT NULL,
    resource_type character varying(64) NOT NULL,
    resource_pattern character varying(255) NOT NULL,
    permission character varying(255) NOT NULL
);


--
-- Name: role_permissions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.role_permissions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: role_permissions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.role_permissions_id_seq OWNED BY public.role_permissions.id;


--
-- Name: roles; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.roles (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    workspace character varying(63) NOT NULL,
    description character varying(1024)
);


--
-- Name: roles_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.roles_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: roles_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.roles_id_seq OWNED BY public.roles.id;


--
-- Name: scorer_permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.scorer_permissions (
    id integer NOT NULL,
    experiment_id character varying(255) NOT NULL,
    scorer_name character varying(256) NOT NULL,
    user_id integer NOT NULL,
    permission character varying(255)
);


--
-- Name: scorer_permissions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.scorer_permissions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: scorer_permissions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.scorer_permissions_id_seq OWNED BY public.scorer_permissions.id;


--
-- Name: user_role_assignments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_role_assignments (
    id integer NOT NULL,
    user_id integer NOT NULL,
    role_id integer NOT NULL
);


--
-- Name: user_role_assignments_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.user_role_assignments_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: user_role_assignments_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.user_role_assignments_id_seq OWNED BY public.user_role_assignments.id;


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id integer NOT NULL,
    username character varying(255),
    password_hash character varying(255),
    is_admin boolean
);


--
-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;


--
-- Name: workspace_permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.workspace_permissions (
    workspace character varying(63) NOT NULL,
    user_id integer NOT NULL,
    permission character varying(32) NOT NULL
);


--
-- Name: experiment_permissions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.experiment_permissions ALTER COLUMN id SET DEFAULT nextval('public.experiment_permissions_id_seq'::regclass);


--
-- Name: gateway_endpoint_permissions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_endpoint_permissions ALTER COLUMN id SET DEFAULT nextval('public.gateway_endpoint_permissions_id_seq'::regclass);


--
-- Name: gateway_model_definition_permissions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_model_definition_permissions ALTER COLUMN id SET DEFAULT nextval('public.gateway_model_definition_permissions_id_seq'::regclass);


--
-- Name: gateway_secret_permissions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_secret_permissions ALTER COLUMN id SET DEFAULT nextval('public.gateway_secret_permissions_id_seq'::regclass);


--
-- Name: registered_model_permissions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registered_model_permissions ALTER COLUMN id SET DEFAULT nextval('public.registered_model_permissions_id_seq'::regclass);


--
-- Name: role_permissions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.role_permissions ALTER COLUMN id SET DEFAULT nextval('public.role_permissions_id_seq'::regclass);


--
-- Name: roles id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles ALTER COLUMN id SET DEFAULT nextval('public.roles_id_seq'::regclass);


--
-- Name: scorer_permissions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scorer_permissions ALTER COLUMN id SET DEFAULT nextval('public.scorer_permissions_id_seq'::regclass);


--
-- Name: user_role_assignments id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_role_assignments ALTER COLUMN id SET DEFAULT nextval('public.user_role_assignments_id_seq'::regclass);


--
-- Name: users id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);


--
-- Name: alembic_version_auth alembic_version_auth_pkc; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alembic_version_auth
    ADD CONSTRAINT alembic_version_auth_pkc PRIMARY KEY (version_num);


--
-- Name: experiment_permissions experiment_permissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.experiment_permissions
    ADD CONSTRAINT experiment_permissions_pkey PRIMARY KEY (id);


--
-- Name: gateway_endpoint_permissions gateway_endpoint_permissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_endpoint_permissions
    ADD CONSTRAINT gateway_endpoint_permissions_pkey PRIMARY KEY (id);


--
-- Name: gateway_model_definition_permissions gateway_model_definition_permissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_model_definition_permissions
    ADD CONSTRAINT gateway_model_definition_permissions_pkey PRIMARY KEY (id);


--
-- Name: gateway_secret_permissions gateway_secret_permissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_secret_permissions
    ADD CONSTRAINT gateway_secret_permissions_pkey PRIMARY KEY (id);


--
-- Name: registered_model_permissions registered_model_permissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registered_model_permissions
    ADD CONSTRAINT registered_model_permissions_pkey PRIMARY KEY (id);


--
-- Name: role_permissions role_permissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.role_permissions
    ADD CONSTRAINT role_permissions_pkey PRIMARY KEY (id);


--
-- Name: roles roles_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (id);


--
-- Name: scorer_permissions scorer_permissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scorer_permissions
    ADD CONSTRAINT scorer_permissions_pkey PRIMARY KEY (id);


--
-- Name: gateway_endpoint_permissions unique_endpoint_user; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_endpoint_permissions
    ADD CONSTRAINT unique_endpoint_user UNIQUE (endpoint_id, user_id);


--
-- Name: experiment_permissions unique_experiment_user; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.experiment_permissions
    ADD CONSTRAINT unique_experiment_user UNIQUE (experiment_id, user_id);


--
-- Name: gateway_model_definition_permissions unique_model_def_user; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_model_definition_permissions
    ADD CONSTRAINT unique_model_def_user UNIQUE (model_definition_id, user_id);


--
-- Name: role_permissions unique_role_resource_perm; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.role_permissions
    ADD CONSTRAINT unique_role_resource_perm UNIQUE (role_id, resource_type, resource_pattern);


--
-- Name: scorer_permissions unique_scorer_user; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scorer_permissions
    ADD CONSTRAINT unique_scorer_user UNIQUE (experiment_id, scorer_name, user_id);


--
-- Name: gateway_secret_permissions unique_secret_user; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_secret_permissions
    ADD CONSTRAINT unique_secret_user UNIQUE (secret_id, user_id);


--
-- Name: user_role_assignments unique_user_role; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_role_assignments
    ADD CONSTRAINT unique_user_role UNIQUE (user_id, role_id);


--
-- Name: registered_model_permissions unique_workspace_name_user; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registered_model_permissions
    ADD CONSTRAINT unique_workspace_name_user UNIQUE (workspace, name, user_id);


--
-- Name: roles unique_workspace_role_name; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT unique_workspace_role_name UNIQUE (workspace, name);


--
-- Name: user_role_assignments user_role_assignments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_role_assignments
    ADD CONSTRAINT user_role_assignments_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: users users_username_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_username_key UNIQUE (username);


--
-- Name: workspace_permissions workspace_permissions_pk; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workspace_permissions
    ADD CONSTRAINT workspace_permissions_pk PRIMARY KEY (workspace, user_id);


--
-- Name: idx_role_permissions_role_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_role_permissions_role_id ON public.role_permissions USING btree (role_id);


--
-- Name: idx_roles_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_roles_workspace ON public.roles USING btree (workspace);


--
-- Name: idx_user_role_assignments_role_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_user_role_assignments_role_id ON public.user_role_assignments USING btree (role_id);


--
-- Name: idx_user_role_assignments_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_user_role_assignments_user_id ON public.user_role_assignments USING btree (user_id);


--
-- Name: idx_workspace_permissions_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_workspace_permissions_user_id ON public.workspace_permissions USING btree (user_id);


--
-- Name: idx_workspace_permissions_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_workspace_permissions_workspace ON public.workspace_permissions USING btree (workspace);


--
-- Name: gateway_endpoint_permissions fk_gateway_endpoint_perm_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_endpoint_permissions
    ADD CONSTRAINT fk_gateway_endpoint_perm_user_id FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: gateway_model_definition_permissions fk_gateway_model_def_perm_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_model_definition_permissions
    ADD CONSTRAINT fk_gateway_model_def_perm_user_id FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: gateway_secret_permissions fk_gateway_secret_perm_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.gateway_secret_permissions
    ADD CONSTRAINT fk_gateway_secret_perm_user_id FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: scorer_permissions fk_scorer_perm_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scorer_permissions
    ADD CONSTRAINT fk_scorer_perm_user_id FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: experiment_permissions fk_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.experiment_permissions
    ADD CONSTRAINT fk_user_id FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: registered_model_permissions fk_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registered_model_permissions
    ADD CONSTRAINT fk_user_id FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: role_permissions role_permissions_role_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.role_permissions
    ADD CONSTRAINT role_permissions_role_id_fkey FOREIGN KEY (role_id) REFERENCES public.roles(id);


--
-- Name: user_role_assignments user_role_assignments_role_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_role_assignments
    ADD CONSTRAINT user_role_assignments_role_id_fkey FOREIGN KEY (role_id) REFERENCES public.roles(id);


--
-- Name: user_role_assignments user_role_assignments_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_role_assignments
    ADD CONSTRAINT user_role_assignments_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: workspace_permissions workspace_permissions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workspace_permissions
    ADD CONSTRAINT workspace_permissions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- PostgreSQL database dump complete
--
INSERT INTO public.alembic_version_auth (version_num) VALUES ('f1a2b3c4d5e6');
