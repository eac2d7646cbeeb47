%% A media gateway for the softswitch's H.248 interop tests, on Erlang/OTP's megaco application
%% (v1 text over UDP). It registers with ServiceChange Restart, answers Add/Modify/Subtract/
%% AuditValue/AuditCapabilities with real context ids, ephemeral termination ids and a local SDP,
%% and takes commands on stdin, one per line:
%%
%%   notify TERM EVENT          send Notify with ObservedEvents (e.g. "notify tdm/1/1 al/of")
%%   restart                    drop every context, send ServiceChange ROOT Method=Restart 901
%%   forced TERM                drop TERM from its context, ServiceChange TERM Method=Forced 905
%%   disconnected               ServiceChange ROOT Method=Disconnected 900 (contexts kept)
%%   graceful SECONDS           ServiceChange ROOT Method=Graceful, Delay=SECONDS 905
%%   slow MS                    answer the next AuditValue through TransactionPending after MS ms
%%   ack on|off                 ask (or not) for a TransactionResponseAck on every reply
%%   contexts                   print the contexts held
%%   quit
%%
%% Everything it observes is printed as one line "EVENT key=value ..." on stdout for the harness.
%%
%% Started as: erl -noshell -pa DIR -s ssw_mg start MGC_HOST MGC_PORT pretty|compact MG_NAME [v3seg]
%% With v3seg it speaks version 3 (ServiceChange Version=3) and, once registered, segments
%% every reply larger than 200 bytes (max_pdu_size), one segment outstanding until the MGC's
%% SegmentReply arrives (segment_send 1).
-module(ssw_mg).
-behaviour(megaco_user).

-export([start/1]).
-export([handle_connect/2, handle_disconnect/3, handle_syntax_error/3,
         handle_message_error/3, handle_trans_request/3,
         handle_trans_long_request/3, handle_trans_reply/4, handle_trans_ack/4,
         handle_unexpected_trans/3, handle_trans_request_abort/4]).

-include_lib("megaco/include/megaco.hrl").
-include_lib("megaco/include/megaco_message_v1.hrl").

-define(TAB, ssw_mg_state).

%%----------------------------------------------------------------------
%% Start-up and registration
%%----------------------------------------------------------------------

start(Args) ->
    %% The -s caller exits after boot; the state table needs an owner that lives.
    spawn(fun() ->
                  try init(Args)
                  catch C:E:St ->
                          event("fatal", [{error, brief({C, E, St})}]),
                          halt(2)
                  end
          end),
    ok.

init([HostA, PortA, EncA, NameA]) ->
    init([HostA, PortA, EncA, NameA, v1]);
init([HostA, PortA, EncA, NameA, ModeA]) ->
    Seg = ModeA =:= v3seg,
    Host = atom_to_list(HostA),
    Port = list_to_integer(atom_to_list(PortA)),
    EncMod = case EncA of
                 compact -> megaco_compact_text_encoder;
                 _ -> megaco_pretty_text_encoder
             end,
    Mid = {domainName, #'DomainName'{name = atom_to_list(NameA)}},
    ets:new(?TAB, [named_table, public, set]),
    ets:insert(?TAB, [{ctx_seq, 0}, {rtp_seq, 0}, {mid, Mid}, {ack, false},
                      {slow, 0}, {seg, Seg}]),
    ok = megaco:start(),
    Config = [{user_mod, ?MODULE}, {user_args, []},
              {encoding_mod, EncMod}, {encoding_config, []},
              {send_mod, megaco_udp}, {auto_ack, true},
              {request_timer, #megaco_incr_timer{wait_for = 500, factor = 2,
                                                 max_retries = 4}},
              {long_request_timer, #megaco_incr_timer{wait_for = 5000,
                                                      factor = 1,
                                                      max_retries = 3}},
              {reply_timer, #megaco_incr_timer{wait_for = 5000, factor = 1,
                                               max_retries = 0}}]
        ++ [{protocol_version, 3} || Seg],
    ok = megaco:start_user(Mid, Config),
    RH = megaco:user_info(Mid, receive_handle),
    {ok, Sup} = megaco_udp:start_transport(),
    {ok, Handle, ControlPid} =
        megaco_udp:open(Sup, [{port, 0}, {receive_handle, RH}]),
    {ok, Addr} = inet:parse_address(Host),
    SH = megaco_udp:create_send_handle(Handle, Addr, Port),
    {ok, CH} = megaco:connect(RH, preliminary_mid, SH, ControlPid),
    {ok, LocalPort} = inet:port(megaco_udp:socket(Handle)),
    ets:insert(?TAB, {conn, CH}),
    event("ready", [{port, LocalPort}, {encoding, EncA}]),
    spawn(fun() -> register_mg(CH) end),
    stdin_loop().

register_mg(CH) ->
    Res = service_change(CH, root(), restart, "901", asn1_NOVALUE),
    event("registered", [{result, brief(Res)}]),
    case ets:lookup(?TAB, seg) of
        [{seg, true}] ->
            C = conn(),
            ok = megaco:update_conn_info(C, max_pdu_size, 200),
            ok = megaco:update_conn_info(C, segment_send, 1),
            event("segmentation", [{version, megaco:conn_info(C, protocol_version)},
                                   {max_pdu_size, megaco:conn_info(C, max_pdu_size)},
                                   {segment_send, megaco:conn_info(C, segment_send)}]);
        _ -> ok
    end.

service_change(CH, Tid, Method, Reason, Delay) ->
    SCP1 = #'ServiceChangeParm'{serviceChangeMethod = Method,
                                serviceChangeReason = [Reason],
                                serviceChangeDelay = Delay},
    %% In v3 the record has two more fields (serviceChangeInfo, serviceChangeIncompleteFlag;
    %% megaco_message_v3.hrl), and the version is announced.
    SCP = case ets:lookup(?TAB, seg) of
              [{seg, true}] ->
                  erlang:append_element(erlang:append_element(
                    SCP1#'ServiceChangeParm'{serviceChangeVersion = 3}, asn1_NOVALUE), asn1_NOVALUE);
              _ -> SCP1
          end,
    SCR = #'ServiceChangeRequest'{terminationID = [Tid],
                                  serviceChangeParms = SCP},
    AR = #'ActionRequest'{contextId = ?megaco_null_context_id,
                          commandRequests = [#'CommandRequest'{command = {serviceChangeReq, SCR}}]},
    megaco:call(CH, [AR], []).

%% After the ServiceChange reply megaco re-keys the connection by the MGC's mid.
conn() ->
    [{mid, Mid}] = ets:lookup(?TAB, mid),
    case megaco:user_info(Mid, connections) of
        [CH | _] -> CH;
        [] -> [{conn, CH}] = ets:lookup(?TAB, conn), CH
    end.

%%----------------------------------------------------------------------
%% Commands on stdin
%%----------------------------------------------------------------------

stdin_loop() ->
    case io:get_line(standard_io, '') of
        eof -> halt(0);
        {error, _} -> halt(0);
        Line ->
            Words = string:tokens(string:trim(Line), " \t"),
            spawn(fun() -> command(Words) end),
            stdin_loop()
    end.

command(["notify", Term, Event]) ->
    Tid = term_id(Term),
    Ctx = case ets:lookup(?TAB, {term, Term}) of
              [{_, C}] -> C;
              [] -> ?megaco_null_context_id
          end,
    ReqId = case ets:lookup(?TAB, {events, Term}) of
                [{_, R}] -> R;
                [] -> 0
            end,
    OE = #'ObservedEvent'{eventName = Event,
                          timeNotation = #'TimeNotation'{date = "20240101",
                                                         time = "12000000"}},
    NR = #'NotifyRequest'{terminationID = [Tid],
                          observedEventsDescriptor =
                              #'ObservedEventsDescriptor'{requestId = ReqId,
                                                          observedEventLst = [OE]}},
    AR = #'ActionRequest'{contextId = Ctx,
                          commandRequests = [#'CommandRequest'{command = {notifyReq, NR}}]},
    Res = megaco:call(conn(), [AR], []),
    event("notify_reply", [{term, Term}, {ctx, Ctx}, {request_id, ReqId},
                           {result, brief(Res)}]);
command(["restart"]) ->
    drop_all(),
    Res = service_change(conn(), root(), restart, "901", asn1_NOVALUE),
    event("sc_reply", [{method, restart}, {result, brief(Res)}]);
command(["forced", Term]) ->
    drop_term(Term),
    Res = service_change(conn(), term_id(Term), forced, "905", asn1_NOVALUE),
    event("sc_reply", [{method, forced}, {term, Term}, {result, brief(Res)}]);
command(["disconnected"]) ->
    Res = service_change(conn(), root(), disconnected, "900", asn1_NOVALUE),
    event("sc_reply", [{method, disconnected}, {result, brief(Res)}]);
command(["graceful", Secs]) ->
    Res = service_change(conn(), root(), graceful, "905", list_to_integer(Secs)),
    event("sc_reply", [{method, graceful}, {result, brief(Res)}]);
command(["slow", Ms]) ->
    ets:insert(?TAB, {slow, list_to_integer(Ms)}),
    event("slow", [{ms, Ms}]);
command(["ack", OnOff]) ->
    ets:insert(?TAB, {ack, OnOff =:= "on"}),
    event("ack_mode", [{on, OnOff}]);
command(["contexts"]) ->
    Ctxs = [integer_to_list(C) ++ ":" ++ string:join(Ts, "+")
            || {{ctx, C}, Ts} <- lists:sort(ets:tab2list(?TAB))],
    event("contexts", [{list, string:join(Ctxs, ";")}]);
command(["quit"]) ->
    halt(0);
command(Other) ->
    event("unknown_command", [{words, string:join(Other, "_")}]).

%%----------------------------------------------------------------------
%% megaco_user callbacks
%%----------------------------------------------------------------------

handle_connect(CH, PV) ->
    event("connect", [{remote, mid_str(CH#megaco_conn_handle.remote_mid)}, {version, PV}]),
    ok.

handle_disconnect(_CH, _PV, Reason) ->
    event("disconnect", [{reason, brief(Reason)}]),
    ok.

handle_syntax_error(_RH, _PV, ED) ->
    event("syntax_error", [{code, ED#'ErrorDescriptor'.errorCode},
                           {text, ED#'ErrorDescriptor'.errorText}]),
    reply.

handle_message_error(_CH, _PV, ED) ->
    event("message_error", [{error, brief(ED)}]),
    no_reply.

handle_trans_request(_CH, _PV, ActionRequests) ->
    [{slow, Slow}] = ets:lookup(?TAB, slow),
    IsAudit = lists:any(fun is_audit/1, ActionRequests),
    if
        Slow > 0, IsAudit ->
            ets:insert(?TAB, {slow, 0}),
            event("pending", [{ms, Slow}]),
            {pending, {Slow, ActionRequests}};
        true ->
            reply_with(lists:map(fun action/1, ActionRequests))
    end.

handle_trans_long_request(_CH, _PV, {Slow, ActionRequests}) ->
    timer:sleep(Slow),
    reply_with(lists:map(fun action/1, ActionRequests)).

handle_trans_reply(_CH, _PV, Reply, _Data) ->
    event("trans_reply", [{result, brief(Reply)}]),
    ok.

handle_trans_ack(_CH, _PV, AckStatus, AckData) ->
    event("trans_ack", [{status, brief(AckStatus)}, {data, brief(AckData)}]),
    ok.

handle_unexpected_trans(_CH, _PV, Trans) ->
    event("unexpected_trans", [{trans, brief(Trans)}]),
    ok.

handle_trans_request_abort(_CH, _PV, TransId, _Pid) ->
    event("request_abort", [{trans_id, TransId}]),
    ok.

reply_with(Replies) ->
    case ets:lookup(?TAB, ack) of
        [{ack, true}] -> {{handle_ack, ack_requested}, Replies};
        _ -> {discard_ack, Replies}
    end.

is_audit(#'ActionRequest'{commandRequests = Cmds}) ->
    lists:any(fun(#'CommandRequest'{command = {auditValueRequest, _}}) -> true;
                 (_) -> false
              end, Cmds).

%%----------------------------------------------------------------------
%% Contexts and terminations
%%----------------------------------------------------------------------

action(#'ActionRequest'{contextId = Ctx0, commandRequests = Cmds}) ->
    Ctx = case Ctx0 of
              ?megaco_choose_context_id -> ets:update_counter(?TAB, ctx_seq, 1);
              _ -> Ctx0
          end,
    try
        Replies = lists:flatmap(fun(#'CommandRequest'{command = C}) -> cmd(Ctx, C) end, Cmds),
        ReplyCtx = case Replies of
                       [{ctx, C2} | _] -> C2;
                       _ -> Ctx
                   end,
        #'ActionReply'{contextId = ReplyCtx,
                       commandReply = [R || R <- Replies, element(1, R) =/= ctx]}
    catch
        throw:{error, Code, Text} ->
            event("error", [{ctx, Ctx0}, {code, Code}, {text, Text}]),
            #'ActionReply'{contextId = Ctx0,
                           errorDescriptor = #'ErrorDescriptor'{errorCode = Code,
                                                                errorText = Text}}
    end.

cmd(Ctx, {addReq, #'AmmRequest'{terminationID = [Tid], descriptors = Ds}}) ->
    Term = case term_str(Tid) of
               "$" -> "rtp/" ++ integer_to_list(ets:update_counter(?TAB, rtp_seq, 1));
               T -> T
           end,
    case ets:lookup(?TAB, {term, Term}) of
        [{_, Other}] when Other =/= Ctx ->
            throw({error, ?megaco_termination_id_already_in_context,
                   "termination already in context " ++ integer_to_list(Other)});
        _ -> ok
    end,
    join(Ctx, Term),
    remember(Term, Ds),
    Audit = case local_sdp(Term, Ds) of
                undefined -> asn1_NOVALUE;
                MD -> [{mediaDescriptor, MD}]
            end,
    event("add", [{ctx, Ctx}, {term, Term}, {mode, mode_of(Ds)}, {remote, has_remote(Ds)}]),
    [{addReply, #'AmmsReply'{terminationID = [term_id(Term)], terminationAudit = Audit}}];
cmd(Ctx, {modReq, #'AmmRequest'{terminationID = [Tid], descriptors = Ds}}) ->
    Term = term_str(Tid),
    in_context(Ctx, Term),
    remember(Term, Ds),
    event("modify", [{ctx, Ctx}, {term, Term}, {mode, mode_of(Ds)}, {remote, has_remote(Ds)},
                     {events, events_of(Ds)}, {signals, signals_of(Ds)}]),
    [{modReply, #'AmmsReply'{terminationID = [Tid]}}];
cmd(Ctx, {moveReq, #'AmmRequest'{terminationID = [Tid]}}) ->
    Term = term_str(Tid),
    drop_term(Term),
    join(Ctx, Term),
    event("move", [{ctx, Ctx}, {term, Term}]),
    [{moveReply, #'AmmsReply'{terminationID = [Tid]}}];
cmd(Ctx, {subtractReq, #'SubtractRequest'{terminationID = [Tid]}}) ->
    Terms = case term_str(Tid) of
                "*" ->
                    case ets:lookup(?TAB, {ctx, Ctx}) of
                        [{_, Ts}] -> Ts;
                        [] -> throw({error, ?megaco_unknown_context_id, "unknown context"})
                    end;
                T -> in_context(Ctx, T), [T]
            end,
    lists:foreach(fun drop_term/1, Terms),
    event("subtract", [{ctx, Ctx}, {terms, string:join(Terms, "+")}]),
    [{subtractReply, #'AmmsReply'{terminationID = [term_id(T)],
                                  terminationAudit = [{statisticsDescriptor,
                                                       [#'StatisticsParameter'{statName = "nt/dur",
                                                                               statValue = ["1200"]}]}]}}
     || T <- Terms];
cmd(Ctx, {auditValueRequest, {'AuditRequest', Tid, AD, _TermIdList}}) ->
    %% v3 AuditRequest (one more field, terminationIDList): answered as in v1.
    cmd(Ctx, {auditValueRequest, #'AuditRequest'{terminationID = Tid, auditDescriptor = AD}});
cmd(Ctx, {auditValueRequest, #'AuditRequest'{terminationID = Tid}}) ->
    Term = term_str(Tid),
    {RealCtx, Result} =
        case Term of
            "root" -> {Ctx, [{packagesDescriptor, packages()}]};
            _ ->
                C = case ets:lookup(?TAB, {term, Term}) of
                        [{_, C0}] -> C0;
                        [] -> ?megaco_null_context_id
                    end,
                if Ctx =/= ?megaco_all_context_id, Ctx =/= C ->
                        throw({error, ?megaco_terminations_id_not_in_specified_context,
                               "termination not in that context"});
                   true -> ok
                end,
                Mode = case ets:lookup(?TAB, {mode, Term}) of
                           [{_, M}] -> M;
                           [] -> sendRecv
                       end,
                SP = #'StreamParms'{localControlDescriptor =
                                        #'LocalControlDescriptor'{streamMode = Mode}},
                MD = #'MediaDescriptor'{streams = {multiStream, [#'StreamDescriptor'{streamID = 1,
                                                                                     streamParms = SP}]}},
                {C, [{mediaDescriptor, MD}]}
        end,
    event("audit_value", [{ctx, RealCtx}, {term, Term}]),
    [{ctx, RealCtx},
     {auditValueReply, {auditResult, #'AuditResult'{terminationID = Tid,
                                                    terminationAuditResult = Result}}}];
cmd(_Ctx, {auditCapRequest, #'AuditRequest'{terminationID = Tid}}) ->
    event("audit_cap", [{term, term_str(Tid)}]),
    [{auditCapReply, {auditResult, #'AuditResult'{terminationID = Tid,
                                                  terminationAuditResult = [{packagesDescriptor, packages()}]}}}];
cmd(_Ctx, {notifyReq, #'NotifyRequest'{terminationID = [Tid]}}) ->
    [{notifyReply, #'NotifyReply'{terminationID = [Tid]}}];
cmd(_Ctx, {serviceChangeReq, #'ServiceChangeRequest'{terminationID = [Tid]}}) ->
    [{serviceChangeReply, #'ServiceChangeReply'{terminationID = [Tid],
                                                serviceChangeResult = {serviceChangeResParms,
                                                                       #'ServiceChangeResParm'{}}}}];
cmd(_Ctx, Other) ->
    throw({error, ?megaco_unsupported_or_unknown_command,
           "not supported: " ++ atom_to_list(element(1, Other))}).

packages() ->
    [#'PackagesItem'{packageName = "g", packageVersion = 1},
     #'PackagesItem'{packageName = "nt", packageVersion = 1},
     #'PackagesItem'{packageName = "rtp", packageVersion = 1},
     #'PackagesItem'{packageName = "al", packageVersion = 1}].

join(Ctx, Term) ->
    Ts = case ets:lookup(?TAB, {ctx, Ctx}) of
             [{_, L}] -> L;
             [] -> []
         end,
    ets:insert(?TAB, [{{ctx, Ctx}, Ts ++ [Term]}, {{term, Term}, Ctx}]).

in_context(Ctx, Term) ->
    case ets:lookup(?TAB, {term, Term}) of
        [{_, Ctx}] -> ok;
        [{_, _}] when Ctx =:= ?megaco_null_context_id -> ok;
        [] when Ctx =:= ?megaco_null_context_id -> ok;
        _ -> throw({error, ?megaco_terminations_id_not_in_specified_context,
                    "termination " ++ Term ++ " not in context"})
    end.

drop_term(Term) ->
    case ets:lookup(?TAB, {term, Term}) of
        [{_, Ctx}] ->
            ets:delete(?TAB, {term, Term}),
            ets:delete(?TAB, {mode, Term}),
            ets:delete(?TAB, {events, Term}),
            case ets:lookup(?TAB, {ctx, Ctx}) of
                [{_, Ts}] ->
                    case lists:delete(Term, Ts) of
                        [] -> ets:delete(?TAB, {ctx, Ctx});
                        Rest -> ets:insert(?TAB, {{ctx, Ctx}, Rest})
                    end;
                [] -> ok
            end;
        [] -> ok
    end.

drop_all() ->
    ets:match_delete(?TAB, {{ctx, '_'}, '_'}),
    ets:match_delete(?TAB, {{term, '_'}, '_'}),
    ets:match_delete(?TAB, {{mode, '_'}, '_'}),
    ets:match_delete(?TAB, {{events, '_'}, '_'}).

remember(Term, Ds) ->
    case mode_of(Ds) of
        undefined -> ok;
        Mode -> ets:insert(?TAB, {{mode, Term}, Mode})
    end,
    case [E || {eventsDescriptor, E} <- Ds] of
        [#'EventsDescriptor'{requestID = R} | _] when is_integer(R) ->
            ets:insert(?TAB, {{events, Term}, R});
        _ -> ok
    end.

streams(Ds) ->
    lists:flatmap(fun({mediaDescriptor, #'MediaDescriptor'{streams = {multiStream, SDs}}}) ->
                          [SP || #'StreamDescriptor'{streamParms = SP} <- SDs];
                     ({mediaDescriptor, #'MediaDescriptor'{streams = {oneStream, SP}}}) ->
                          [SP];
                     (_) -> []
                  end, Ds).

mode_of(Ds) ->
    case [M || #'StreamParms'{localControlDescriptor = #'LocalControlDescriptor'{streamMode = M}}
                   <- streams(Ds), M =/= asn1_NOVALUE] of
        [M | _] -> M;
        [] -> undefined
    end.

has_remote(Ds) ->
    lists:any(fun(#'StreamParms'{remoteDescriptor = #'LocalRemoteDescriptor'{}}) -> true;
                 (_) -> false
              end, streams(Ds)).

events_of(Ds) ->
    case [E || {eventsDescriptor, E} <- Ds] of
        [#'EventsDescriptor'{requestID = R, eventList = L} | _] ->
            lists:flatten(io_lib:format("~w:~s", [R, string:join([N || #'RequestedEvent'{pkgdName = N} <- L], "+")]));
        [] -> none
    end.

signals_of(Ds) ->
    case [S || {signalsDescriptor, S} <- Ds] of
        [Sigs | _] ->
            Names = [case Sig of
                         {signal, #'Signal'{signalName = N}} -> N;
                         {seqSigList, #'SeqSigList'{id = Id}} -> "list" ++ integer_to_list(Id)
                     end || Sig <- Sigs],
            string:join(Names, "+");
        [] -> none
    end.

%% The local SDP an RTP termination gets: its own address and port, the first payload type asked for.
local_sdp(Term, Ds) ->
    case [L || #'StreamParms'{localDescriptor = #'LocalRemoteDescriptor'{propGrps = [L | _]}} <- streams(Ds)] of
        [Group | _] ->
            Pt = case [V || #'PropertyParm'{name = "m", value = [V]} <- Group] of
                     [MLine | _] ->
                         case string:tokens(MLine, " ") of
                             [_, _, _, P | _] when P =/= "$" -> P;
                             _ -> "0"
                         end;
                     [] -> "0"
                 end,
            N = case string:tokens(Term, "/") of
                    [_, Num] -> list_to_integer(Num);
                    _ -> 0
                end,
            Port = integer_to_list(40000 + 2 * N),
            PG = [#'PropertyParm'{name = "v", value = ["0"]},
                  #'PropertyParm'{name = "o", value = ["- " ++ integer_to_list(N) ++ " 1 IN IP4 127.0.0.1"]},
                  #'PropertyParm'{name = "s", value = ["-"]},
                  #'PropertyParm'{name = "c", value = ["IN IP4 127.0.0.1"]},
                  #'PropertyParm'{name = "t", value = ["0 0"]},
                  #'PropertyParm'{name = "m", value = ["audio " ++ Port ++ " RTP/AVP " ++ Pt]}],
            SP = #'StreamParms'{localDescriptor = #'LocalRemoteDescriptor'{propGrps = [PG]}},
            #'MediaDescriptor'{streams = {multiStream, [#'StreamDescriptor'{streamID = 1,
                                                                           streamParms = SP}]}};
        [] -> undefined
    end.

%%----------------------------------------------------------------------
%% Helpers
%%----------------------------------------------------------------------

root() -> ?megaco_root_termination_id.

term_id(Str) ->
    Parts = string:tokens(Str, "/"),
    Wild = lists:any(fun(P) -> P =:= "*" orelse P =:= "$" end, Parts),
    #megaco_term_id{contains_wildcards = Wild, id = Parts}.

term_str(#megaco_term_id{id = [[$r, $o, $o, $t]]}) -> "root";
term_str(#megaco_term_id{id = Parts}) -> string:join(Parts, "/").

mid_str({domainName, #'DomainName'{name = N, portNumber = P}}) ->
    "<" ++ N ++ ">" ++ case P of asn1_NOVALUE -> ""; _ -> ":" ++ integer_to_list(P) end;
mid_str({ip4Address, #'IP4Address'{address = A, portNumber = P}}) ->
    "[" ++ string:join([integer_to_list(X) || X <- A], ".") ++ "]" ++
        case P of asn1_NOVALUE -> ""; _ -> ":" ++ integer_to_list(P) end;
mid_str(Other) -> brief(Other).

brief(Term) ->
    S = lists:flatten(io_lib:format("~w", [Term])),
    [case C of $\s -> $_; $\n -> $_; _ -> C end || C <- S].

event(Name, KVs) ->
    Parts = [io_lib:format("~s=~s", [K, to_str(V)]) || {K, V} <- KVs],
    io:format("EVENT ~s ~s~n", [Name, string:join([lists:flatten(P) || P <- Parts], " ")]).

to_str(V) when is_atom(V) -> atom_to_list(V);
to_str(V) when is_integer(V) -> integer_to_list(V);
to_str(V) when is_list(V) ->
    case io_lib:printable_list(V) of
        true -> [case C of $\s -> $_; _ -> C end || C <- V];
        false -> brief(V)
    end;
to_str(V) -> brief(V).
